"""PostgreSQL LISTEN/NOTIFY: publish in a transaction, and one listening connection per process.

Writers call `publish(connection, channel, rows)` in the transaction that inserts the rows:
PostgreSQL delivers the notification when (and only if) it commits, to every server process.
A payload is JSON `{"rows": [[id, key], ...]}`: the row ids and one routing key each (a user id,
a campaign id...), never the rows themselves (payloads are limited to 8000 bytes); readers load
the rows, with their permission filter.

Each process has one `Listener` (the Database's): a dedicated autocommit psycopg connection that
LISTENs on the channels its subscribers asked for and hands each notification to the
subscriptions of its channel whose key matches, through bounded queues. It connects on the first
subscription and reconnects after losing the database (restart, pg_terminate_backend); then, and
when a subscriber's queue overflows, the subscription is told that notifications may have been
missed (`Subscription.missed`), so that its reader replays from the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import psycopg
from psycopg import sql
from sqlalchemy import text

log = logging.getLogger("bemserver.listen")

# PostgreSQL refuses payloads of 8000 bytes or more: pairs of ids per notification.
ROWS_PER_NOTIFICATION = 250
QUEUE_SIZE = 256  # notifications a subscriber may have pending before it is told it missed some
ROUND = 0.5  # seconds between two checks for channels to LISTEN (and for closing)
CONNECT_TIMEOUT = 5.0
RECONNECT_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def payloads(rows: Iterable[tuple[int, int | None]]) -> list[str]:
    """The JSON payloads announcing `rows` ((id, key) pairs), each small enough for NOTIFY."""
    pairs = [[int(row_id), None if key is None else int(key)] for row_id, key in rows]
    return [
        orjson.dumps({"rows": pairs[start : start + ROWS_PER_NOTIFICATION]}).decode()
        for start in range(0, len(pairs), ROWS_PER_NOTIFICATION)
    ]


async def publish(connection: Any, channel: str, rows: Iterable[tuple[int, int | None]]) -> None:
    """Announce rows on `channel` when the transaction of `connection` (a SQLAlchemy session or
    connection) commits; nothing is sent if it rolls back."""
    for payload in payloads(rows):
        await connection.execute(_NOTIFY, {"channel": channel, "payload": payload})


class Subscription:
    """One reader's share of a channel: the ids of the new rows of its key, in a bounded queue."""

    def __init__(self, channel: str, key: int | None, size: int = QUEUE_SIZE) -> None:
        self.channel = channel
        self.key = key  # None: every row of the channel
        self.queue: asyncio.Queue[list[int]] = asyncio.Queue(size)
        # Set when notifications may have been lost (queue full, listener reconnected): the
        # reader clears it and replays from the table.
        self.missed = False
        self.closed = False

    def offer(self, ids: list[int]) -> None:
        try:
            self.queue.put_nowait(ids)
        except asyncio.QueueFull:
            self.mark_missed()

    def mark_missed(self) -> None:
        self.missed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait([])  # wakes a reader waiting on an empty queue

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait([])

    async def next(self, timeout: float) -> list[int] | None:
        """The next ids (possibly none after a wake-up), or None after `timeout` seconds of quiet."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()


def driver_url(url: str) -> str:
    """A libpq URL from any of the PostgreSQL URL forms the settings accept."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


class ListenerUnavailable(Exception):
    """The listening connection could not be made in time (the database is down)."""


class Listener:
    """The process's LISTEN connection and its subscribers (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.url = driver_url(url)
        # Weak: a stream whose body never ran (client gone first) leaves nothing behind.
        self._subscriptions: dict[str, weakref.WeakSet[Subscription]] = {}
        self._listening: set[str] = set()  # channels LISTENed on the current connection
        self._ready = asyncio.Event()  # set while connected and listening to every channel
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.backend_pid: int | None = None  # of the current connection (tests terminate it)
        self.connections = 0  # connections made so far (1 + reconnections)

    @property
    def subscriber_count(self) -> int:
        return sum(len(found) for found in self._subscriptions.values())

    async def subscribe(self, channel: str, key: int | None = None, size: int = QUEUE_SIZE) -> Subscription:
        """A new subscription, once the channel is LISTENed to: a row committed after this returns
        reaches it. Raises ListenerUnavailable when the database cannot be reached in time."""
        subscription = Subscription(channel, key, size)
        self._subscriptions.setdefault(channel, weakref.WeakSet()).add(subscription)
        if channel not in self._listening:
            self._ready.clear()
        if self._task is None or self._task.done():
            self._closing = False
            self._ready.clear()
            self._task = asyncio.create_task(self._run(), name="bemserver-listener")
        try:
            await asyncio.wait_for(self._ready.wait(), CONNECT_TIMEOUT + ROUND)
        except TimeoutError:
            self.unsubscribe(subscription)
            raise ListenerUnavailable from None
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        found = self._subscriptions.get(subscription.channel)
        if found is not None:
            found.discard(subscription)

    def end_subscriptions(self) -> None:
        """Close every open subscription: their readers end (e.g. streams, at server shutdown)."""
        for found in self._subscriptions.values():
            for subscription in list(found):
                subscription.close()
        self._subscriptions.clear()

    async def close(self) -> None:
        """Stop listening; open subscriptions are closed (their readers end)."""
        self._closing = True
        self.end_subscriptions()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    # -- the connection ----------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while not self._closing:
            try:
                await self._serve()
                failures = 0
            except Exception as error:  # whatever broke, listen again (a bug is logged in full)
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                if isinstance(error, psycopg.Error | OSError):
                    log.warning("LISTEN connection lost (%s); reconnecting in %.1f s", error, delay)
                else:
                    log.exception("LISTEN loop failed; reconnecting in %.1f s", delay)
                await asyncio.sleep(delay)
            finally:
                self._ready.clear()
                self._listening = set()
                self.backend_pid = None

    async def _serve(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name="bemserver-listener",
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        ) as connection:
            self.backend_pid = connection.info.backend_pid
            self.connections += 1
            if self.connections > 1:
                # Notifications sent while disconnected are lost: readers replay from their tables.
                for found in self._subscriptions.values():
                    for subscription in list(found):
                        subscription.mark_missed()
            while not self._closing:
                await self._listen_to_new_channels(connection)
                async for notification in connection.notifies(timeout=ROUND):
                    self._dispatch(notification.channel, notification.payload)

    async def _listen_to_new_channels(self, connection: psycopg.AsyncConnection[Any]) -> None:
        # A channel may be asked for while another one's LISTEN runs: loop until none is left.
        while pending := [name for name in self._subscriptions if name not in self._listening]:
            for channel in pending:
                await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                self._listening.add(channel)
        self._ready.set()

    def _dispatch(self, channel: str, payload: str) -> None:
        subscriptions = self._subscriptions.get(channel)
        if not subscriptions:
            return
        try:
            rows: Sequence[Sequence[Any]] = orjson.loads(payload)["rows"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("ignored a notification on %s: %r", channel, payload[:200])
            return
        for subscription in list(subscriptions):
            key = subscription.key
            ids = [row[0] for row in rows if key is None or row[1] == key]
            if ids:
                subscription.offer(ids)
