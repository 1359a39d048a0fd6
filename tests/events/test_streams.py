"""GET /notifications/stream and GET /events/stream (events/streams.py, http/sse.py).

httpx's ASGI transport waits for the whole response, which a stream never ends: `open_stream`
calls the ASGI app itself and reads the body as it comes. The app has short heartbeats. Two
server processes on one database are in tests/events/test_streams_servers.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import psycopg
import pytest

from bemserver.app import create_app
from tests.conftest import TestUser, Users, make_settings
from tests.helpers import create

HEARTBEAT = 0.3


@pytest.fixture(scope="module")
async def stream_app(database_url: str) -> AsyncIterator[Any]:
    app = create_app(make_settings(stream_heartbeat=HEARTBEAT), database_url)
    yield app
    await app.state.database.dispose()


def parse_messages(text: str) -> list[dict[str, str]]:
    """SSE messages (blank-line separated) as {field: value}; comments as {"comment": ...}."""
    messages = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        message: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            message["comment" if name == "" else name] = value.removeprefix(" ")
        messages.append(message)
    return messages


class Stream:
    """One streaming request to the ASGI app: status, headers, and the body as it arrives."""

    def __init__(self, app: Any, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        self.app = app
        self.started = asyncio.Event()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.more = asyncio.Event()
        self.ended = False
        self.gone = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _receive(self) -> dict[str, Any]:
        if not hasattr(self, "_sent_request"):
            self._sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            self.started.set()
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                self.ended = True
            self.more.set()

    async def start(self) -> Stream:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        await asyncio.wait_for(self.started.wait(), 10)
        if self.status == 200:
            await self.wait_for(lambda text: ": connected" in text)
        else:
            await self.wait_for(lambda _: self.ended)
        return self

    @property
    def text(self) -> str:
        return self.body.decode()

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> str:
        async def waiting() -> None:
            while not predicate(self.text):
                self.more.clear()
                await self.more.wait()

        await asyncio.wait_for(waiting(), timeout)
        return self.text

    def messages(self, event: str | None = None) -> list[dict[str, str]]:
        found = parse_messages(self.text)
        return [message for message in found if event is None or message.get("event") == event]

    async def close(self) -> None:
        self.gone.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


@contextlib.asynccontextmanager
async def open_stream(app: Any, url: str, headers: dict[str, str]) -> AsyncIterator[Stream]:
    stream = await Stream(app, url, headers).start()
    try:
        yield stream
    finally:
        await stream.close()


# -- making events ------------------------------------------------------------------------------


async def scope_of(client, admin: TestUser, *members: TestUser, name: str = "Stream") -> tuple[int, int]:
    """A new campaign and scope whose members (campaign and scope) are `members`."""
    campaign = await create(client, "/campaigns/", admin.headers, name=f"{name} campaign", timezone="UTC")
    scope = await create(
        client, "/campaign_scopes/", admin.headers, name=f"{name} scope", campaign_id=campaign["id"]
    )
    group = await create(client, "/user_groups/", admin.headers, name=f"{name} group")
    for member in members:
        await create(
            client, "/users_by_user_groups/", admin.headers, user_id=member.id, user_group_id=group["id"]
        )
    await create(
        client,
        "/user_groups_by_campaigns/",
        admin.headers,
        user_group_id=group["id"],
        campaign_id=campaign["id"],
    )
    await create(
        client,
        "/user_groups_by_campaign_scopes/",
        admin.headers,
        user_group_id=group["id"],
        campaign_scope_id=scope["id"],
    )
    return campaign["id"], scope["id"]


async def post_event(
    client, headers: dict[str, str], scope_id: int, n: int = 0, level: str = "WARNING"
) -> dict:
    return await create(
        client,
        "/events/",
        headers,
        timestamp=f"2026-01-01T{n % 24:02d}:00:00+00:00",
        level=level,
        campaign_scope_id=scope_id,
        category_id=1,
        source=f"stream test {n}",
    )


async def notifications_of(client, user: TestUser) -> list[dict]:
    response = await client.get("/notifications/", params={"user_id": user.id}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


# -- the notifications stream ---------------------------------------------------------------------


async def test_a_notification_reaches_its_user_only(client, stream_app, users: Users):
    _, scope_id = await scope_of(client, users.admin, users.active)
    async with (
        open_stream(stream_app, "/notifications/stream", users.active.headers) as mine,
        open_stream(stream_app, "/notifications/stream", users.admin.headers) as admins,
    ):
        assert mine.status == 200
        assert mine.headers["content-type"].startswith("text/event-stream")
        assert mine.headers["cache-control"] == "no-cache"
        assert mine.text.startswith("retry: ")
        event = await post_event(client, users.admin.headers, scope_id)
        await mine.wait_for(lambda text: "event: notification" in text)
        [message] = mine.messages("notification")
        [stored] = await notifications_of(client, users.active)
        assert message["id"] == str(stored["id"])

        assert orjson.loads(message["data"]) == stored
        assert stored["event_id"] == event["id"] and stored["event"]["source"] == "stream test 0"
        await asyncio.sleep(HEARTBEAT * 2)  # the admin is no member: no notification for them
        assert admins.messages("notification") == []


async def test_heartbeats_arrive_when_quiet(stream_app, users: Users):
    async with open_stream(stream_app, "/notifications/stream", users.active.headers) as stream:
        await stream.wait_for(lambda text: text.count(": heartbeat") >= 2, timeout=HEARTBEAT * 10)


async def test_last_event_id_replays_the_missed_ones_without_duplicates(client, stream_app, users: Users):
    _, scope_id = await scope_of(client, users.admin, users.active)
    for n in range(3):
        await post_event(client, users.admin.headers, scope_id, n)
    ids = sorted(item["id"] for item in await notifications_of(client, users.active))
    headers = users.active.headers | {"Last-Event-ID": str(ids[0])}
    async with open_stream(stream_app, "/notifications/stream", headers) as stream:
        await stream.wait_for(lambda text: text.count("event: notification") >= 2)
        await post_event(client, users.admin.headers, scope_id, 4)
        await stream.wait_for(lambda text: text.count("event: notification") >= 3)
        await asyncio.sleep(HEARTBEAT * 2)
        got = [int(message["id"]) for message in stream.messages("notification")]
    every = sorted(item["id"] for item in await notifications_of(client, users.active))
    assert got == every[1:]
    # The query argument does the same, for clients that cannot send the header.
    url = f"/notifications/stream?last_event_id={every[-2]}"
    async with open_stream(stream_app, url, users.active.headers) as stream:
        await stream.wait_for(lambda text: "event: notification" in text)
        assert [int(m["id"]) for m in stream.messages("notification")] == [every[-1]]


async def test_a_gap_is_filled_from_the_table(client, stream_app, users: Users):
    """When notifications may have been lost (reconnection, full queue), the rows after the last
    one sent are read from the table."""
    _, scope_id = await scope_of(client, users.admin, users.active)
    listener = stream_app.state.database.listener
    async with open_stream(stream_app, "/notifications/stream", users.active.headers) as stream:
        [subscription] = [
            s for found in listener._subscriptions.values() for s in found if s.key == users.active.id
        ]
        listener.unsubscribe(subscription)  # deaf: as if the listener were away
        await post_event(client, users.admin.headers, scope_id, 1)
        await asyncio.sleep(HEARTBEAT)
        assert stream.messages("notification") == []
        subscription.mark_missed()
        await stream.wait_for(lambda text: "event: notification" in text)
        assert len(stream.messages("notification")) == 1


async def test_the_listener_survives_the_termination_of_its_backend(
    client, stream_app, users: Users, database_url: str
):
    _, scope_id = await scope_of(client, users.admin, users.active)
    listener = stream_app.state.database.listener
    async with open_stream(stream_app, "/notifications/stream", users.active.headers) as stream:
        pid = listener.backend_pid
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # An event committed while the listener is away is replayed once it is back...
        await post_event(client, users.admin.headers, scope_id, 1)
        await stream.wait_for(lambda text: text.count("event: notification") >= 1)
        for _ in range(100):
            if listener.backend_pid not in (None, pid):
                break
            await asyncio.sleep(0.1)
        assert listener.backend_pid not in (None, pid)
        # ...and the new connection listens.
        await post_event(client, users.admin.headers, scope_id, 2)
        await stream.wait_for(lambda text: text.count("event: notification") >= 2)
        await asyncio.sleep(HEARTBEAT)
        assert len(stream.messages("notification")) == 2


async def test_a_client_leaving_frees_its_subscription(stream_app, users: Users):
    listener = stream_app.state.database.listener
    before = listener.subscriber_count
    stream = await Stream(stream_app, "/notifications/stream", users.active.headers).start()
    assert listener.subscriber_count == before + 1
    await stream.close()
    assert listener.subscriber_count == before


async def test_authentication_is_required(stream_app, users: Users, inactive: TestUser):
    async with open_stream(stream_app, "/notifications/stream", {}) as stream:
        assert stream.status == 401
        assert '"code":401' in stream.text
    async with open_stream(stream_app, "/events/stream", users.active.basic) as stream:
        assert stream.status == 200
    async with open_stream(stream_app, "/events/stream", inactive.headers) as stream:
        assert stream.status == 403


async def test_a_bad_last_event_id_is_422(stream_app, users: Users):
    headers = users.active.headers | {"Last-Event-ID": "abc"}
    async with open_stream(stream_app, "/notifications/stream", headers) as stream:
        assert stream.status == 422
    async with open_stream(
        stream_app, "/notifications/stream?last_event_id=-1", users.active.headers
    ) as stream:
        assert stream.status == 422


# -- the events stream ----------------------------------------------------------------------------


async def test_events_are_filtered_by_campaign_and_permission(client, stream_app, users: Users):
    campaign_id, scope_id = await scope_of(client, users.admin, users.active, name="A")
    other_campaign, other_scope = await scope_of(client, users.admin, name="B")
    url = f"/events/stream?campaign_id={campaign_id}"
    async with (
        open_stream(stream_app, "/events/stream", users.active.headers) as everything_mine,
        open_stream(stream_app, url, users.active.headers) as of_a,
        open_stream(stream_app, f"/events/stream?campaign_id={other_campaign}", users.admin.headers) as of_b,
        open_stream(stream_app, "/events/stream", users.admin.headers) as every,
    ):
        seen = await post_event(client, users.admin.headers, scope_id, 1, level="DEBUG")
        unseen = await post_event(client, users.admin.headers, other_scope, 2, level="DEBUG")
        await every.wait_for(lambda text: text.count("event: event") >= 2)
        await everything_mine.wait_for(lambda text: "event: event" in text)
        await of_a.wait_for(lambda text: "event: event" in text)
        await of_b.wait_for(lambda text: "event: event" in text)
        await asyncio.sleep(HEARTBEAT * 2)

        assert [orjson.loads(m["data"]) for m in of_a.messages("event")] == [seen]
        assert [int(m["id"]) for m in everything_mine.messages("event")] == [seen["id"]]
        assert [int(m["id"]) for m in of_b.messages("event")] == [unseen["id"]]
        assert [int(m["id"]) for m in every.messages("event")] == [seen["id"], unseen["id"]]


async def test_an_unknown_or_unreadable_campaign_is_refused(client, stream_app, users: Users):
    other_campaign, _ = await scope_of(client, users.admin, name="B")
    async with open_stream(stream_app, "/events/stream?campaign_id=999999", users.active.headers) as stream:
        assert stream.status == 404
    async with open_stream(
        stream_app, f"/events/stream?campaign_id={other_campaign}", users.active.headers
    ) as stream:
        assert stream.status == 403
    async with open_stream(
        stream_app, "/events/stream?campaign_id=99999999999", users.active.headers
    ) as stream:
        assert stream.status == 422


async def test_the_events_stream_resumes_after_last_event_id(client, stream_app, users: Users):
    campaign_id, scope_id = await scope_of(client, users.admin, users.active)
    first = await post_event(client, users.admin.headers, scope_id, 1, level="DEBUG")
    second = await post_event(client, users.admin.headers, scope_id, 2, level="DEBUG")
    headers = users.active.headers | {"Last-Event-ID": str(first["id"])}
    async with open_stream(stream_app, f"/events/stream?campaign_id={campaign_id}", headers) as stream:
        await stream.wait_for(lambda text: "event: event" in text)
        assert [int(m["id"]) for m in stream.messages("event")] == [second["id"]]


def test_the_streams_are_documented(app):
    spec = app.openapi()
    for path in ("/notifications/stream", "/events/stream"):
        operation = spec["paths"][path]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"]
        assert "Last-Event-ID" in operation["description"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"Last-Event-ID", "last_event_id"} <= names
    assert "campaign_id" in {p["name"] for p in spec["paths"]["/events/stream"]["get"]["parameters"]}


async def test_head_answers_the_headers_and_ends(stream_app, users: Users):
    listener = stream_app.state.database.listener
    before = listener.subscriber_count
    transport = httpx.ASGITransport(app=stream_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await asyncio.wait_for(
            http.head("/notifications/stream", headers=users.active.headers), 10
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert listener.subscriber_count == before


async def test_open_streams_hold_no_database_connection(client, stream_app, users: Users):
    campaign_id, _ = await scope_of(client, users.admin, users.active)
    database = stream_app.state.database
    async with (
        open_stream(stream_app, "/notifications/stream", users.active.headers),
        open_stream(stream_app, f"/events/stream?campaign_id={campaign_id}", users.active.headers),
        open_stream(stream_app, "/events/stream", users.active.basic),
    ):
        await asyncio.sleep(HEARTBEAT)
        assert database.engine.pool.checkedout() == 0
        assert database.autocommit_engine.pool.checkedout() == 0
