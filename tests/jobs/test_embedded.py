"""The embedded worker: a thread of the serving process, and a setting that turns it off."""

from __future__ import annotations

import asyncio

import pytest

from bemserver.jobs import embedded_worker, enqueue_mail
from tests.jobs.conftest import MailServer, eventually

pytestmark = pytest.mark.usefixtures("empty_queue")


async def test_the_embedded_worker_delivers_and_stops(engine, database_url: str, mail_server: MailServer):
    mail_server.start()
    settings = mail_server.settings()
    async with engine.begin() as connection:
        await enqueue_mail(connection, settings, to="ops@example.org", subject="threaded", body="b")
    with embedded_worker(settings, database_url) as thread:
        assert thread is not None and thread.is_alive()
        await eventually(lambda: mail_server.received)
    assert not thread.is_alive()
    assert [message["Subject"] for message in mail_server.received] == ["threaded"]


async def test_the_embedded_worker_can_be_turned_off(database_url: str, mail_server: MailServer):
    with embedded_worker(mail_server.settings(embedded_worker=False), database_url) as thread:
        assert thread is None
        await asyncio.sleep(0)
