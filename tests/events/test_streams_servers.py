"""The live streams across server processes: two `bemserver serve` on one database.

An event POSTed to one server reaches the stream clients of the other (LISTEN/NOTIFY), and
SIGTERM stops a server that has stream clients. `test_latency` measures, over 100 events, the
time from sending the POST, from receiving its answer (the commit happened in between) and from
the commit's NOTIFY reaching a LISTEN of the test itself, to receiving the event on the other
server's stream; it asserts nothing about it (run with `-s` to
read it, or set BEMSERVER_STREAM_LATENCY_REPORT to a file to write it to).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest

from tests.conftest import SECRET, Users
from tests.events.test_streams import parse_messages, scope_of
from tests.helpers import listens
from tests.test_cli import environment, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("stream-servers")]

BEMSERVER = str(Path(sys.executable).parent / "bemserver")


class Server:
    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = environment(
            BEMSERVER_DATABASE_URL=database_url,
            BEMSERVER_DATA_DIR=str(data_dir),
            BEMSERVER_SECRET_KEY=SECRET,
            BEMSERVER_AUTH_METHODS="Bearer,Basic",
            BEMSERVER_EMBEDDED_WORKER="false",
            BEMSERVER_STREAM_HEARTBEAT="0.5",
            BEMSERVER_LOG_LEVEL="warning",
        )
        self.process = subprocess.Popen(
            [BEMSERVER, "serve", "--port", str(self.port)],
            cwd=data_dir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early: {self.process.communicate()}")
            try:  # our own process must listen there: another one may have the port too
                if listens(self.process.pid, self.port) and (
                    httpx.get(f"{self.url}/about/", timeout=2).status_code == 200
                ):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not start in time")

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=30)
        return self.process.returncode, stderr

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory) -> Iterator[tuple[Server, Server]]:
    # One after the other: two first starts on a database without users would both create the
    # first administrator (the second one failing on the unique email).
    pair: list[Server] = []
    try:
        for n in range(2):
            pair.append(Server(database_url, tmp_path_factory.mktemp(f"server{n}")))
            pair[-1].wait_ready()
        yield pair[0], pair[1]
    finally:
        for server in pair:
            server.kill()


class RemoteStream:
    """A stream read by a task from a real server, message by message."""

    def __init__(self, http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        self.http, self.url, self.headers = http, url, headers
        self.messages: asyncio.Queue[tuple[float, dict[str, str]]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async with self.http.stream("GET", self.url, headers=self.headers) as response:
            assert response.status_code == 200
            buffer = ""
            async for text in response.aiter_text():
                buffer += text
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    for message in parse_messages(block + "\n\n"):
                        if message.get("comment") == "connected":
                            self.connected.set()
                        elif "event" in message:
                            await self.messages.put((time.perf_counter(), message))

    async def __aenter__(self) -> RemoteStream:
        self.task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.connected.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def next(self, timeout: float = 10) -> tuple[float, dict[str, str]]:
        return await asyncio.wait_for(self.messages.get(), timeout)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client:
        yield client


async def test_an_event_posted_to_one_server_reaches_a_client_of_the_other(
    client, servers, http: httpx.AsyncClient, users: Users
):
    first, second = servers
    campaign_id, scope_id = await scope_of(client, users.admin, users.active)
    headers = users.active.headers
    async with (
        RemoteStream(http, f"{second.url}/events/stream?campaign_id={campaign_id}", headers) as events,
        RemoteStream(http, f"{second.url}/notifications/stream", headers) as notifications,
    ):
        response = await http.post(
            f"{first.url}/events/",
            headers=users.admin.headers,
            json={
                "timestamp": "2026-01-01T00:00:00+00:00",
                "level": "ERROR",
                "campaign_scope_id": scope_id,
                "category_id": 1,
                "source": "first server",
            },
        )
        assert response.status_code == 201, response.text
        event = response.json()
        _, message = await events.next()
        assert message["event"] == "event" and orjson.loads(message["data"]) == event
        _, message = await notifications.next()
        assert message["event"] == "notification"
        assert orjson.loads(message["data"])["event_id"] == event["id"]


async def _commits(database_url: str, seen: dict[int, float], ready: asyncio.Event) -> None:
    """When each event's commit is announced: the test's own LISTEN, like the servers' one."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        await connection.execute("LISTEN bemserver_events")
        ready.set()
        async for notification in connection.notifies():
            for row_id, _ in orjson.loads(notification.payload)["rows"]:
                seen[row_id] = time.perf_counter()


async def test_latency(client, servers, http: httpx.AsyncClient, users: Users, database_url: str):
    """POST to one server, stream from the other: the median over 100 events, printed."""
    first, second = servers
    campaign_id, scope_id = await scope_of(client, users.admin, users.active)
    upper, after_response, after_commit = [], [], []
    committed: dict[int, float] = {}
    ready = asyncio.Event()
    watcher = asyncio.create_task(_commits(database_url, committed, ready))
    await asyncio.wait_for(ready.wait(), 10)
    async with RemoteStream(
        http, f"{second.url}/events/stream?campaign_id={campaign_id}", users.active.headers
    ) as events:
        for n in range(100):
            body = {
                "timestamp": "2026-01-01T00:00:00+00:00",
                "level": "INFO",
                "campaign_scope_id": scope_id,
                "category_id": 1,
                "source": f"latency {n}",
            }
            sent = time.perf_counter()
            response = await http.post(f"{first.url}/events/", headers=users.admin.headers, json=body)
            answered = time.perf_counter()
            assert response.status_code == 201
            received, message = await events.next()
            assert int(message["id"]) == response.json()["id"]
            upper.append(received - sent)
            after_response.append(received - answered)
            for _ in range(1000):  # the test's LISTEN task may not have run yet
                if int(message["id"]) in committed:
                    break
                await asyncio.sleep(0.001)
            after_commit.append(received - committed[int(message["id"])])
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    line = (
        f"stream latency over {len(upper)} events, POST sent -> received on the other server:"
        f" median {statistics.median(upper) * 1000:.1f} ms, p90"
        f" {statistics.quantiles(upper, n=10)[-1] * 1000:.1f} ms; POST answered -> received:"
        f" median {statistics.median(after_response) * 1000:.1f} ms; commit announced -> received:"
        f" median {statistics.median(after_commit) * 1000:.1f} ms, p90"
        f" {statistics.quantiles(after_commit, n=10)[-1] * 1000:.1f} ms"
    )
    sys.stdout.write("\n" + line + "\n")  # shown with -s
    report = os.environ.get("BEMSERVER_STREAM_LATENCY_REPORT")
    if report:
        Path(report).write_text(line + "\n")


async def test_sigterm_stops_a_server_with_open_streams(database_url: str, tmp_path, users: Users):
    server = Server(database_url, tmp_path)
    try:
        await asyncio.to_thread(server.wait_ready)
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as http,
            RemoteStream(http, f"{server.url}/notifications/stream", users.active.headers),
        ):
            started = time.monotonic()
            _, stderr = await asyncio.to_thread(server.stop)
            assert time.monotonic() - started < 10
        assert "Traceback" not in stderr
    finally:
        server.kill()
