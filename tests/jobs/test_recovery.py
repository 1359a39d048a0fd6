"""A worker killed in the middle of a delivery: the mail is still delivered, by another worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from bemserver.jobs import enqueue, enqueue_mail
from bemserver.jobs.app import make_app
from bemserver.jobs.retry import DEFAULT_RETRY
from bemserver.jobs.worker import requeue_stalled_jobs
from tests.jobs.conftest import FAST, MailServer, eventually

pytestmark = pytest.mark.usefixtures("empty_queue")

WORKER = """
import asyncio, json, sys
from bemserver.jobs import run_worker
from bemserver.settings import Settings

settings = Settings(_env_file=None, smtp_host="127.0.0.1", smtp_port=int(sys.argv[2]), log_level="warning")
asyncio.run(run_worker(settings, sys.argv[1], concurrency=1, **json.loads(sys.argv[3])))
"""


def worker_process(database_url: str, smtp_port: int) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, database_url, str(smtp_port), json.dumps(FAST)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_a_worker_killed_during_a_delivery_does_not_lose_the_mail(
    engine, database_url: str, mail_server: MailServer, start_worker
):
    mail_server.handler.stall = True  # the first delivery hangs after DATA, unanswered
    mail_server.start()
    settings = mail_server.settings()
    async with engine.begin() as connection:
        await enqueue_mail(connection, settings, to="ops@example.org", subject="Alarm", body="b")
    process = worker_process(database_url, mail_server.port)
    try:
        await eventually(mail_server.handler.stalled.is_set, timeout=60)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert process.returncode == -9, stderr.decode()
    async with engine.connect() as connection:
        status = await connection.scalar(
            text("SELECT status::text FROM procrastinate_jobs WHERE task_name = 'send_mail'")
        )
    assert status == "doing"  # its worker is dead: nobody will finish it

    mail_server.handler.stall = False
    await start_worker(settings)  # notices the dead worker and puts its job back in the queue
    await eventually(lambda: mail_server.received)

    async def done() -> bool:
        async with engine.connect() as connection:
            return not await connection.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'send_mail'")
            )

    await eventually(done)
    assert [message["Subject"] for message in mail_server.received] == ["Alarm"]


async def dead_workers_job(engine, attempts: int) -> int:
    """A job in progress on a worker whose last heartbeat is a minute old."""
    async with engine.begin() as connection:
        worker_id = await connection.scalar(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 minute') RETURNING id"
            )
        )
        job_id = await enqueue(connection, "send_mail", to=["a@b.org"], subject="s", body="b")
        await connection.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker, attempts = :attempts WHERE id = :id"
            ),
            {"worker": worker_id, "attempts": attempts, "id": job_id},
        )
    return job_id


async def test_the_jobs_of_dead_workers_are_requeued_until_out_of_attempts(engine, database_url: str):
    requeued = await dead_workers_job(engine, attempts=0)
    exhausted = await dead_workers_job(engine, attempts=DEFAULT_RETRY.max_attempts - 1)
    app = make_app(database_url)
    async with app.open_async():
        assert await requeue_stalled_jobs(app, stalled_timeout=30) == 1
        assert await requeue_stalled_jobs(app, stalled_timeout=30) == 0
    async with engine.connect() as connection:
        rows = dict(
            (
                await connection.execute(
                    text("SELECT id, status::text FROM procrastinate_jobs WHERE task_name = 'send_mail'")
                )
            ).all()
        )
        workers = await connection.scalar(text("SELECT count(*) FROM procrastinate_workers"))
    assert rows == {requeued: "todo", exhausted: "failed"}
    assert workers == 0  # the dead workers are forgotten
