"""One e-mail per notification, queued in the event's transaction, delivered by a worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bemserver.app import create_app
from bemserver.events import mailing
from tests.events.conftest import new_event
from tests.helpers import sql_statements
from tests.jobs.conftest import MailServer, eventually, mail_server, start_worker  # noqa: F401
from tests.jobs.test_recovery import worker_process
from tests.timeseries.conftest import link_user_to_scope


@pytest.fixture
async def mailing_client(database_url: str, mail_server: MailServer) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    """A client of an app that sends mail (to the test mail server, started or not)."""
    app = create_app(mail_server.settings(), database_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http
    await app.state.database.dispose()


MAIL_JOBS = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'send_notification_mails'"


async def queued_mails(engine) -> list[dict[str, Any]]:
    """The e-mails the queued jobs would send, as {"to", "subject", "body"}: one job per event
    sends those of its notifications (bemserver/events/mailing.py)."""
    async with engine.connect() as connection:
        jobs = await connection.execute(
            text(
                "SELECT task_name, args FROM procrastinate_jobs WHERE task_name = 'send_notification_mails' ORDER BY id"
            )
        )
        mails = []
        for task_name, args in jobs.all():
            assert task_name == mailing.TASK
            driver_sql = mailing._TO_SEND.replace("%(event_id)s", ":event_id").replace(
                "%(last_id)s", ":last_id"
            )
            rows = await connection.execute(text(driver_sql), args)
            mails += [{"to": [row.email], "subject": row.subject, "body": row.body} for row in rows]
        return mails


@pytest.fixture
async def members(client, admin, user, scope) -> None:
    """The active user is a member of the scope; the admin is one too, at INFO for category 1."""
    await link_user_to_scope(client, admin.headers, user.id, scope["id"])
    await link_user_to_scope(client, admin.headers, admin.id, scope["id"], name="Admins")
    body = {"notification_level": "INFO", "user_id": admin.id, "category_id": 1}
    assert (
        await client.post("/event_categories_by_users/", json=body, headers=admin.headers)
    ).status_code == 201


async def test_one_mail_per_notification_queued_with_the_event(
    mailing_client, client, admin, user, scope, members, engine
):
    await new_event(mailing_client, admin.headers, scope["id"], level="ERROR", description="Boiler down")
    mails = await queued_mails(engine)
    assert sorted(mail["to"][0] for mail in mails) == sorted([admin.email, user.email])
    assert {mail["subject"] for mail in mails} == {"[Campaign] ERROR: Data missing"}
    assert {mail["body"] for mail in mails} == {"Boiler down"}
    # INFO: only the admin asked for it; no description gives an empty body.
    await new_event(mailing_client, admin.headers, scope["id"], level="INFO", category_id=1)
    [*_, last] = await queued_mails(engine)
    assert len(await queued_mails(engine)) == 3
    assert last == {"to": [admin.email], "subject": "[Campaign] INFO: Data missing", "body": ""}


async def test_no_mail_without_smtp_settings(client, admin, scope, members, engine):
    await new_event(client, admin.headers, scope["id"], level="CRITICAL")
    assert await queued_mails(engine) == []


async def test_a_mail_server_that_is_down_does_not_fail_the_post_and_mails_arrive_later(
    mailing_client,
    admin,
    user,
    scope,
    members,
    engine,
    mail_server: MailServer,  # noqa: F811
    start_worker,  # noqa: F811
):
    await start_worker(mail_server.settings())
    event = await new_event(mailing_client, admin.headers, scope["id"], level="WARNING", description="Hot")
    assert event["level"] == "WARNING"  # created while no mail server listens
    mail_server.start()
    await eventually(lambda: len(mail_server.received) == 2, timeout=30)
    assert sorted(message["To"] for message in mail_server.received) == sorted([admin.email, user.email])
    assert {message["Subject"] for message in mail_server.received} == {"[Campaign] WARNING: Data missing"}


async def warm_up(http: httpx.AsyncClient, caller, scope_id: int) -> None:
    """A first POST (of an event nobody is told of): the app's connections are open before
    statements are counted."""
    await new_event(http, caller.headers, scope_id, level="DEBUG")


async def test_a_post_with_fan_out_and_mail_is_one_statement_and_one_job(
    mailing_client, client, admin, user, scope, members, engine
):
    """One statement (committed on its own): the caller's check, the event, its notifications and
    the job sending their e-mails, whatever the number of users (events/quick.py)."""
    await warm_up(mailing_client, admin, scope["id"])
    with sql_statements() as statements:
        event = await new_event(mailing_client, admin.headers, scope["id"], level="ERROR")
    assert len(statements) == 1, statements
    for part in (
        "FROM users u",
        "INSERT INTO events",
        "INSERT INTO notifications",
        "procrastinate_defer_jobs_v1",
    ):
        assert part in statements[0]
    async with engine.connect() as connection:
        jobs = (
            await connection.execute(
                text(
                    "SELECT task_name, args FROM procrastinate_jobs WHERE task_name = 'send_notification_mails'"
                )
            )
        ).all()
        last = await connection.scalar(
            text(f"SELECT max(id) FROM notifications WHERE event_id = {event['id']}")
        )
    assert jobs == [(mailing.TASK, {"event_id": event["id"], "last_id": last})]


async def test_a_post_by_a_member_is_one_statement_too(mailing_client, user, scope, members):
    """The create rule is checked in the same statement, on the values inserted."""
    await warm_up(mailing_client, user, scope["id"])
    with sql_statements() as statements:
        await new_event(mailing_client, user.headers, scope["id"], level="ERROR")
    assert len(statements) == 1, statements


async def test_nobody_notified_queues_no_job(mailing_client, admin, scope, members, engine):
    await warm_up(mailing_client, admin, scope["id"])
    with sql_statements() as statements:
        await new_event(mailing_client, admin.headers, scope["id"], level="DEBUG")
    assert len(statements) == 1
    assert await queued_mails(engine) == []
    async with engine.connect() as connection:
        assert await connection.scalar(text(MAIL_JOBS)) == 0


async def test_a_recipient_refused_for_good_does_not_stop_the_others(
    mailing_client,
    admin,
    user,
    scope,
    members,
    engine,
    mail_server: MailServer,  # noqa: F811
    start_worker,  # noqa: F811
):
    refused = user.email
    accept = mail_server.handler.handle_RCPT

    async def handle_rcpt(server, session, envelope, address, options):
        if address == refused:
            return "550 No such user here"
        return await accept(server, session, envelope, address, options)

    mail_server.handler.handle_RCPT = handle_rcpt
    mail_server.start()
    await start_worker(mail_server.settings())
    event = await new_event(mailing_client, admin.headers, scope["id"], level="ERROR", description="x")
    await eventually(lambda: len(mail_server.received) == 1, timeout=30)

    async def done() -> bool:
        async with engine.connect() as connection:
            return not await connection.scalar(text(MAIL_JOBS))

    await eventually(done, timeout=30)
    assert [message["To"] for message in mail_server.received] == [admin.email]
    async with engine.connect() as connection:
        refusals = (
            await connection.execute(text("SELECT event_id, error FROM notification_mail_refusals"))
        ).all()
    assert [row.event_id for row in refusals] == [event["id"]]
    assert "550" in refusals[0].error


async def test_a_worker_killed_in_the_middle_sends_only_the_rest_after(
    mailing_client,
    admin,
    user,
    scope,
    members,
    engine,
    database_url,
    mail_server: MailServer,  # noqa: F811
    start_worker,  # noqa: F811
):
    """The first e-mail is accepted, the second hangs unanswered when its worker is killed: the
    next worker sends the second only."""
    handler = mail_server.handler
    accept = handler.handle_DATA

    async def handle_data(server, session, envelope):
        handler.stall = len(handler.received) >= 1
        return await accept(server, session, envelope)

    handler.handle_DATA = handle_data
    mail_server.start()
    await new_event(mailing_client, admin.headers, scope["id"], level="ERROR", description="Boiler down")
    process = worker_process(database_url, mail_server.port)
    try:
        await eventually(handler.stalled.is_set, timeout=60)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert process.returncode == -9, stderr.decode()
    assert len(mail_server.received) == 1

    handler.handle_DATA = accept
    handler.stall = False
    await start_worker(mail_server.settings())  # puts the dead worker's job back in the queue

    async def done() -> bool:
        async with engine.connect() as connection:
            return not await connection.scalar(text(MAIL_JOBS))

    await eventually(done, timeout=60)
    assert sorted(message["To"] for message in mail_server.received) == sorted([admin.email, user.email])
    ids = {message["Message-ID"] for message in mail_server.received}
    assert len(ids) == 2 and all(i.startswith("<bemserver-notification-") for i in ids)
