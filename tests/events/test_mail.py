"""One e-mail per notification, queued in the event's transaction, delivered by a worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bemserver.app import create_app
from tests.events.conftest import new_event
from tests.jobs.conftest import MailServer, eventually, mail_server, start_worker  # noqa: F401
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


async def queued_mails(engine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = 'send_mail' ORDER BY id")
        )
        return [row[0] for row in rows]


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
