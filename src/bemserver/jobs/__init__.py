"""Background jobs: one durable job queue in PostgreSQL (procrastinate), and the e-mail it sends.

- A domain declares a task with `@task("name")` (registry.py) in a module listed in the
  `tasks` of its Domain declaration (bemserver/domain.py), and enqueues it with `enqueue(connection, "name", **args)` on its own
  connection, in its own transaction.
- `enqueue_mail(connection, settings, to=..., subject=..., body=...)` queues one e-mail.
- `run_worker(settings, database_url)` runs a worker until cancelled; `bemserver serve` runs one
  in a thread (`embedded_worker`), `bemserver worker` runs one as its own process.

docs/jobs.md tells how retries, backoff and the recovery of a killed worker's jobs work.
"""

from bemserver.jobs.enqueue import enqueue
from bemserver.jobs.mail import enqueue_mail
from bemserver.jobs.registry import task
from bemserver.jobs.worker import embedded_worker, run_worker

__all__ = ["embedded_worker", "enqueue", "enqueue_mail", "run_worker", "task"]
