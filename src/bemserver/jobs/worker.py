"""Running a worker: `run_worker` (until cancelled or signalled) and the embedded worker thread.

A worker sends a heartbeat every `heartbeat_interval` seconds. A worker whose heartbeat is older
than `stalled_timeout` seconds (BEMSERVER_WORKER_DEAD_AFTER; beats every third of it) is dead (killed, or its machine lost): every running worker looks
for such workers' jobs every `heartbeat_interval` seconds and puts them back in the queue, so
that the jobs of a killed worker run again without anyone stepping in (each time counts as an attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

from procrastinate import App
from procrastinate.jobs import Job, Status

from bemserver.db.database import Database
from bemserver.jobs.app import make_app
from bemserver.jobs.registry import TASKS
from bemserver.jobs.retry import Backoff
from bemserver.settings import Settings

logger = logging.getLogger(__name__)

POLL_INTERVAL = 2.0  # seconds between looks for due jobs (new jobs are announced by NOTIFY)
# A worker beats every third of BEMSERVER_WORKER_DEAD_AFTER (30 s by default), the time after
# which a worker without heartbeat is dead.
# On a stop request, running jobs get this long to finish; then they are cancelled, and put back
# in the queue (an interrupted delivery is tried again).
GRACEFUL_STOP = 10.0
RESTART_DELAY = 5.0  # the embedded worker starts again this long after a failure


def _attempts_left(job: Job) -> bool:
    """Whether the job may run again: a job that keeps killing its worker fails in the end."""
    declaration = TASKS.get(job.task_name)
    retry = declaration.retry if declaration else None
    return not isinstance(retry, Backoff) or job.attempts + 1 < retry.max_attempts


async def requeue_stalled_jobs(app: App, stalled_timeout: float) -> int:
    """Put the jobs of dead workers back in the queue (those out of attempts fail); how many."""
    requeued = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_timeout):
        try:
            if not _attempts_left(job):
                await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                logger.error("Job %s (%s) of a dead worker failed: no attempt left", job.id, job.task_name)
                continue
            await app.job_manager.retry_job(job)
        except Exception:  # another worker took care of it first, or it has just finished
            continue
        requeued += 1
        logger.warning("Job %s (%s) of a dead worker put back in the queue", job.id, job.task_name)
    await app.job_manager.prune_stalled_workers(stalled_timeout)
    return requeued


async def _watch_stalled_jobs(app: App, interval: float, stalled_timeout: float) -> None:
    while True:
        try:
            await requeue_stalled_jobs(app, stalled_timeout)
        except Exception:
            logger.exception("Looking for the jobs of dead workers failed")
        await asyncio.sleep(interval)


async def run_worker(
    settings: Settings,
    database_url: str,
    *,
    concurrency: int | None = None,
    poll_interval: float = POLL_INTERVAL,
    heartbeat_interval: float | None = None,
    stalled_timeout: float | None = None,
    install_signal_handlers: bool = False,
    name: str = "bemserver",
) -> None:
    """Run jobs until cancelled (or, with `install_signal_handlers`, until SIGINT or SIGTERM).

    Up to `concurrency` jobs run at once (default: BEMSERVER_WORKER_CONCURRENCY); tasks find
    `settings` and a `database` (bemserver.db.database.Database) in their context. The declared
    schedules' jobs are deferred at their ticks. Succeeded jobs are deleted; failed ones stay, for inspection.
    """
    concurrency = concurrency or settings.worker_concurrency
    stalled_timeout = stalled_timeout or settings.worker_dead_after
    heartbeat_interval = heartbeat_interval or stalled_timeout / 3
    app = make_app(database_url, pool_size=concurrency + 2, settings=settings)
    database = Database(database_url, pool_size=max(2, concurrency))
    async with app.open_async():
        watcher = asyncio.create_task(_watch_stalled_jobs(app, heartbeat_interval, stalled_timeout))
        try:
            await app.run_worker_async(
                name=name,
                concurrency=concurrency,
                fetch_job_polling_interval=poll_interval,
                abort_job_polling_interval=poll_interval,
                additional_context={"settings": settings, "database": database},
                update_heartbeat_interval=heartbeat_interval,
                stalled_worker_timeout=stalled_timeout,
                shutdown_graceful_timeout=GRACEFUL_STOP,
                delete_jobs="successful",
                install_signal_handlers=install_signal_handlers,
            )
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await database.dispose()


@contextlib.contextmanager
def embedded_worker(settings: Settings, database_url: str) -> Iterator[threading.Thread | None]:
    """A worker in a thread of this process while the block runs (none if BEMSERVER_EMBEDDED_WORKER
    is false); stopped gracefully on exit. It starts again after a failure (e.g. a lost database)."""
    if not settings.embedded_worker:
        yield None
        return
    loop = asyncio.new_event_loop()
    stopping = asyncio.Event()

    async def supervise() -> None:
        while not stopping.is_set():
            worker = asyncio.create_task(run_worker(settings, database_url, name="embedded"))
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.is_set():
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker
                return
            stop.cancel()
            if worker.exception() is not None:
                logger.error("The embedded worker stopped: %s", worker.exception())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RESTART_DELAY)

    thread = threading.Thread(target=loop.run_until_complete, args=(supervise(),), name="jobs", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(GRACEFUL_STOP + 5)
        if not thread.is_alive():
            loop.close()
