"""Case 6: job queue faults. A job (an e-mail) is running when its worker is killed, or when the
database restarts: the job runs again and completes. The worker is the one `bemserver serve`
embeds; the mail server stalls the delivery so that the fault always lands mid-job."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from bemserver.domain import discover
from bemserver.jobs import enqueue
from tests.faults.conftest import report
from tests.jobs.conftest import MailServer

pytestmark = pytest.mark.xdist_group("faults-outages")

DONE_WITHIN = 180.0  # generous: a dead worker's job is taken back after DEAD_AFTER without heartbeat
# Seconds without heartbeat after which the worker is dead (BEMSERVER_WORKER_DEAD_AFTER, 30 by
# default): shorter here, so that the case does not wait half a minute.
DEAD_AFTER = "6"


@pytest.fixture
def stalling_mail_server():
    mail = MailServer()
    mail.handler.stall = True
    mail.start()
    yield mail
    mail.stop()


def job_server(make_server, url: str, mail: MailServer):
    return make_server(
        url,
        embedded_worker="true",
        worker_dead_after=DEAD_AFTER,
        smtp_host="127.0.0.1",
        smtp_port=str(mail.port),
        smtp_from="faults@example.org",
    )


async def queue_mail(url: str) -> int:
    discover()  # the tasks' declarations
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        return await enqueue(connection, "send_mail", to=["ops@example.org"], subject="fault", body="test")


async def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


def jobs_left(url: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(
            "SELECT id, status, attempts FROM procrastinate_jobs WHERE task_name = 'send_notification_mails'"
        ).fetchall()


async def test_worker_killed_mid_job(own_postgres, make_server, stalling_mail_server):
    url = own_postgres.create_database("bemserver")
    mail = stalling_mail_server
    server = job_server(make_server, url, mail)
    server.start()
    await queue_mail(url)
    assert await wait_until(mail.handler.stalled.is_set, 60), "the job did not start"
    server.kill()  # the worker (a thread of the server process) dies mid-delivery
    killed = time.monotonic()
    mail.handler.stall = False
    mail.handler.released.set()
    server.start()
    assert await wait_until(lambda: len(mail.received) >= 1, DONE_WITHIN), jobs_left(url)
    took = time.monotonic() - killed
    assert await wait_until(lambda: not jobs_left(url), 30), jobs_left(url)  # succeeded: deleted
    report(
        "case 6 job queue: worker killed mid-job",
        delivered=len(mail.received),
        completed_after_kill_s=round(took, 1),
    )


async def test_database_restarted_mid_job(own_postgres, make_server, stalling_mail_server):
    url = own_postgres.create_database("bemserver")
    mail = stalling_mail_server
    server = job_server(make_server, url, mail)
    server.start()
    await queue_mail(url)
    assert await wait_until(mail.handler.stalled.is_set, 60), "the job did not start"
    await asyncio.to_thread(own_postgres.stop, "fast")
    restarted = time.monotonic()
    await asyncio.sleep(3)
    await asyncio.to_thread(own_postgres.start)
    mail.handler.stall = False
    mail.handler.released.set()
    assert await wait_until(lambda: len(mail.received) >= 1, DONE_WITHIN), jobs_left(url)
    took = time.monotonic() - restarted
    assert await wait_until(lambda: not jobs_left(url), 60), jobs_left(url)
    assert server.process is not None and server.process.poll() is None, "the server died"
    report(
        "case 6 job queue: database restarted mid-job",
        delivered=len(mail.received),
        completed_after_restart_s=round(took, 1),
    )
