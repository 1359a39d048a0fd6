"""Fixtures of the job tests: a real SMTP server (aiosmtpd) on a free loopback port, and workers."""

from __future__ import annotations

import asyncio
import contextlib
import email
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.jobs import run_worker
from bemserver.settings import Settings
from tests.conftest import make_settings, reset_database
from tests.helpers import free_port

# Short timings: a dead worker is noticed within a second, a due job starts within 0.1 s.
FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.2, "stalled_timeout": 1.0}


class Handler:
    """Keeps every accepted message. While `stall` is set, a message's DATA is not answered
    until `released` is set, and the message is not kept: the server never accepted it. While
    `refuse` is set, every recipient is refused for good."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.stall = False
        self.refuse = False
        self.stalled = threading.Event()
        self.released = threading.Event()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall:
            self.stalled.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class MailServer:
    """aiosmtpd on 127.0.0.1:`port`, which can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Handler()
        self.controller: Controller | None = None
        self.login: tuple[str, str] | None = None  # when set, clients must log in with it
        self.logins: list[str] = []  # the user names that logged in

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        valid = (
            isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == self.login
        )
        if valid:
            self.logins.append(data.login.decode())
        return AuthResult(success=valid, handled=False)

    @property
    def received(self) -> list[Message]:
        return self.handler.received

    def start(self) -> None:
        auth: dict[str, Any] = {}
        if self.login:
            auth = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.handler.released.set()
            self.controller.stop()
            self.controller = None

    def settings(self, **overrides: Any) -> Settings:
        values = {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_from": "bems@example.org"}
        return make_settings(**(values | overrides))


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A mail server that is not started: tests start it (and may stop it and start it again)."""
    server = MailServer()
    yield server
    server.stop()


@pytest.fixture
async def empty_queue(engine: AsyncEngine) -> None:
    """An empty database (job queue included), seeded as every test's."""
    await reset_database(engine)


@pytest.fixture
async def start_worker(database_url: str) -> AsyncIterator[Callable[[Settings], Awaitable[None]]]:
    """`await start_worker(settings)` runs a worker in this event loop until the test ends."""
    running: list[asyncio.Task[None]] = []

    async def start(settings: Settings) -> None:
        running.append(asyncio.create_task(run_worker(settings, database_url, concurrency=2, **FAST)))

    yield start
    for worker in running:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def eventually(predicate: Callable[[], Any], timeout: float = 15.0) -> None:
    """Wait (polling every 20 ms) until `predicate()` is true, an awaitable's result included."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError("not true in time")
        await asyncio.sleep(0.02)
