"""E-mail through the job queue: enqueued in the sender's transaction, delivered by a worker."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.jobs import enqueue, enqueue_mail
from bemserver.jobs.mail import build_message, smtp_options, smtp_port
from tests.conftest import make_settings
from tests.jobs.conftest import MailServer, eventually

pytestmark = [
    pytest.mark.usefixtures("empty_queue"),
    # aiosmtpd warns that a login without TLS is unsafe: the tests' server is on the loopback.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


async def job_rows(engine: AsyncEngine) -> list[tuple[str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT status::text, attempts FROM procrastinate_jobs WHERE task_name = 'send_mail'")
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_mail_is_delivered_by_a_worker(engine, mail_server: MailServer, start_worker):
    mail_server.start()
    settings = mail_server.settings()
    async with engine.begin() as connection:
        job_id = await enqueue_mail(
            connection, settings, to="ops@example.org", subject="Alarm", body="Room 12 is at 31 °C."
        )
    assert isinstance(job_id, int)
    await start_worker(settings)
    await eventually(lambda: mail_server.received)
    [message] = mail_server.received
    assert message["To"] == "ops@example.org"
    assert message["From"] == "bems@example.org"
    assert message["Subject"] == "Alarm"
    assert message["Message-ID"] == f"<bemserver-job-{job_id}@example.org>"
    assert message.get_payload(decode=True).decode().strip() == "Room 12 is at 31 °C."
    await eventually(lambda: _no_jobs(engine))  # a succeeded job is deleted


async def _no_jobs(engine: AsyncEngine) -> bool:
    return not await job_rows(engine)


async def test_mails_wait_for_a_mail_server_that_is_down_and_arrive_once(
    engine, mail_server: MailServer, start_worker
):
    settings = mail_server.settings()
    await start_worker(settings)
    async with engine.begin() as connection:
        for number in range(5):
            await enqueue_mail(
                connection, settings, to=["a@example.org", "b@example.org"], subject=f"#{number}", body="x"
            )

    async def all_failed_once() -> bool:
        rows = await job_rows(engine)
        return len(rows) == 5 and all(attempts >= 1 for _, attempts in rows)

    await eventually(all_failed_once)  # the server is down: every job failed and waits for a retry
    assert mail_server.received == []
    mail_server.start()
    await eventually(lambda: len(mail_server.received) >= 5)
    await eventually(lambda: _no_jobs(engine))
    assert sorted(message["Subject"] for message in mail_server.received) == [f"#{n}" for n in range(5)]
    assert all(message["To"] == "a@example.org, b@example.org" for message in mail_server.received)


async def test_a_rollback_enqueues_nothing(engine, mail_server: MailServer):
    settings = mail_server.settings()
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await enqueue_mail(connection, settings, to="ops@example.org", subject="s", body="b")
            assert len(await job_rows_on(connection)) == 1
            raise RuntimeError("the request failed")
    assert await job_rows(engine) == []


async def job_rows_on(connection) -> list[object]:
    return list(
        await connection.execute(text("SELECT id FROM procrastinate_jobs WHERE task_name = 'send_mail'"))
    )


async def test_a_commit_enqueues_with_the_data(engine, mail_server: MailServer):
    settings = mail_server.settings()
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO user_groups (name) VALUES ('mailing')"))
        await enqueue_mail(connection, settings, to="ops@example.org", subject="s", body="b")
    assert await job_rows(engine) == [("todo", 0)]


async def test_enqueue_on_a_session_and_on_the_psycopg_connection(engine, mail_server: MailServer):
    from sqlalchemy.ext.asyncio import AsyncSession

    settings = mail_server.settings()
    async with AsyncSession(engine) as session:
        await enqueue_mail(session, settings, to="a@example.org", subject="s", body="b")
        await session.commit()
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        await enqueue_mail(raw.driver_connection, settings, to="b@example.org", subject="s", body="b")
    assert len(await job_rows(engine)) == 2


async def test_mail_off_enqueues_nothing(engine):
    async with engine.begin() as connection:
        assert (
            await enqueue_mail(connection, make_settings(), to="a@example.org", subject="s", body="b") is None
        )
    assert await job_rows(engine) == []


async def test_an_unknown_task_is_refused(engine):
    async with engine.begin() as connection:
        with pytest.raises(LookupError):
            await enqueue(connection, "no_such_task")


async def test_a_recipient_refused_for_good_is_not_retried(engine, mail_server: MailServer, start_worker):
    mail_server.handler.refuse = True
    mail_server.start()
    settings = mail_server.settings()
    async with engine.begin() as connection:
        await enqueue_mail(connection, settings, to="nobody@example.org", subject="s", body="b")
    await start_worker(settings)

    async def failed() -> bool:
        return await job_rows(engine) == [("failed", 1)]  # one attempt, no retry

    await eventually(failed)


async def test_a_mail_server_that_asks_for_a_login(engine, mail_server: MailServer, start_worker):
    mail_server.login = ("bems", "s3cret")
    mail_server.start()
    settings = mail_server.settings(smtp_user="bems", smtp_password="s3cret")
    async with engine.begin() as connection:
        await enqueue_mail(connection, settings, to="ops@example.org", subject="logged in", body="b")
    await start_worker(settings)
    await eventually(lambda: mail_server.received)
    assert mail_server.logins == ["bems"]


async def test_a_refused_login_is_retried(engine, mail_server: MailServer, start_worker):
    mail_server.login = ("bems", "s3cret")
    mail_server.start()
    settings = mail_server.settings(smtp_user="bems", smtp_password="wrong")
    async with engine.begin() as connection:
        await enqueue_mail(connection, settings, to="ops@example.org", subject="s", body="b")
    await start_worker(settings)

    async def waiting_for_a_retry() -> bool:
        return await job_rows(engine) == [("todo", 1)]

    await eventually(waiting_for_a_retry)
    assert mail_server.received == []


def test_smtp_security_options():
    plain = smtp_options(make_settings(smtp_host="h"))
    assert (plain["use_tls"], plain["start_tls"]) == (False, False)  # no STARTTLS, even if offered
    starttls = smtp_options(make_settings(smtp_host="h", smtp_security="starttls"))
    assert (starttls["use_tls"], starttls["start_tls"], starttls["port"]) == (False, True, 587)
    tls = smtp_options(make_settings(smtp_host="h", smtp_security="tls", smtp_user="u", smtp_password="p"))
    assert (tls["use_tls"], tls["start_tls"], tls["port"], tls["username"], tls["password"]) == (
        True,
        False,
        465,
        "u",
        "p",
    )


def test_default_ports_follow_the_security():
    assert smtp_port(make_settings(smtp_host="h")) == 25
    assert smtp_port(make_settings(smtp_host="h", smtp_security="starttls")) == 587
    assert smtp_port(make_settings(smtp_host="h", smtp_security="tls")) == 465
    assert smtp_port(make_settings(smtp_host="h", smtp_security="tls", smtp_port=2465)) == 2465


def test_the_message_is_plain_text_with_the_configured_sender():
    message = build_message(make_settings(smtp_from="noreply@bems.org"), 7, ["a@b.org"], "Subject é", "Body")
    assert message["From"] == "noreply@bems.org"
    assert message["Message-ID"] == "<bemserver-job-7@bems.org>"
    assert message.get_content_type() == "text/plain"
