"""Server-Sent Events: live feeds of new rows, fed by LISTEN/NOTIFY (db/listen.py).

A `Feed` says which channel announces its rows and how to load the rows a caller may read (by
ids, or after an id). `stream_response(request, feed, last_event_id)` subscribes first, then
answers `text/event-stream`:

    retry: 3000                   once, then per row:
    id: 42                        the row id (what the client sends back as Last-Event-ID)
    event: notification           the feed's event name
    data: {"id": 42, ...}         the row as JSON, on one line

and a comment line (`: heartbeat`) after `heartbeat` seconds of quiet, which keeps proxies from
closing the connection and finds clients that left. With a Last-Event-ID, the rows after it are
replayed from the table first; live rows already replayed are not sent again. When notifications
may have been lost (the listener reconnected, or the client is so slow that its queue filled
up), the rows after the last one sent are replayed from the table: a slow client costs a bounded
queue, never a growing one.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import StreamingResponse

from bemserver.db.database import Database
from bemserver.db.listen import Listener, ListenerUnavailable, Subscription
from bemserver.http.errors import ApiError
from bemserver.http.middleware import HEAD_FLAG
from bemserver.http.responses import dumps

log = logging.getLogger("bemserver.sse")

MEDIA_TYPE = "text/event-stream"
RETRY_MS = 3000  # how long a client waits before reconnecting
REPLAY_BATCH = 500  # rows per query when replaying
RECENT = 4096  # ids remembered to drop live rows already replayed

Item = dict[str, Any]
# The rows of the feed the caller may read: those of `ids`, or (ids None) those after `after`,
# at most `limit`, in id order.
LoadRows = Callable[[AsyncConnection, list[int] | None, int, int], Awaitable[list[Item]]]
# The highest id of the feed's table now (the starting point of a replay after a gap).
LatestId = Callable[[AsyncConnection], Awaitable[int]]


@dataclass(frozen=True)
class Feed:
    channel: str  # NOTIFY channel announcing new rows (db/listen.py)
    event: str  # SSE event name
    load: LoadRows
    latest: LatestId
    key: int | None = None  # only rows announced with this routing key (None: all)


def frame(item: Item, event: str) -> bytes:
    """One SSE message: the row id, the event name and the row as one-line JSON."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (item["id"], event.encode(), dumps(item))


HEARTBEAT = b": heartbeat\n\n"
OPENING = b"retry: %d\n: connected\n\n" % RETRY_MS


class _Recent:
    """The last ids sent, to drop duplicates between a replay and the live notifications."""

    def __init__(self) -> None:
        self._order: deque[int] = deque(maxlen=RECENT)
        self._ids: set[int] = set()

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._ids

    def add(self, item_id: int) -> None:
        if len(self._order) == RECENT:
            self._ids.discard(self._order[0])
        self._order.append(item_id)
        self._ids.add(item_id)


class SseStream:
    """The body of one stream response (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        listener: Listener,
        subscription: Subscription,
        feed: Feed,
        last_event_id: int | None,
        heartbeat: float,
    ) -> None:
        self.database = database
        self.listener = listener
        self.subscription = subscription
        self.feed = feed
        self.resumed_after = last_event_id
        self.heartbeat = heartbeat
        self.high = last_event_id  # highest id sent (or resumed from)
        self.recent = _Recent()

    async def body(self) -> AsyncIterator[bytes]:
        subscription = self.subscription
        try:
            # The starting point is fixed before ": connected": a row committed after the client
            # saw it is either live or, after a gap, replayed.
            if self.high is None:
                async with self.database.reader() as connection:
                    self.high = await self.feed.latest(connection)
                yield OPENING
            else:
                yield OPENING
                async for chunk in self._replay():
                    yield chunk
            while not subscription.closed:
                ids = await subscription.next(self.heartbeat)
                if ids is None:
                    yield HEARTBEAT
                elif subscription.missed:
                    subscription.missed = False
                    subscription.drain()
                    async for chunk in self._replay():
                        yield chunk
                elif ids:
                    chunk = await self._live(ids)
                    if chunk:
                        yield chunk
        finally:
            self.listener.unsubscribe(subscription)

    def _sent(self, items: Iterable[Item]) -> bytes:
        chunks = []
        for item in items:
            self.recent.add(item["id"])
            self.high = max(self.high or 0, item["id"])
            chunks.append(frame(item, self.feed.event))
        return b"".join(chunks)

    async def _replay(self) -> AsyncIterator[bytes]:
        while True:
            async with self.database.reader() as connection:
                items = await self.feed.load(connection, None, self.high or 0, REPLAY_BATCH)
            fresh = [item for item in items if item["id"] not in self.recent]
            if fresh:
                yield self._sent(fresh)
            if len(items) < REPLAY_BATCH:
                return
            self.high = max(self.high or 0, items[-1]["id"])

    async def _live(self, ids: list[int]) -> bytes:
        floor = self.resumed_after
        wanted = [i for i in dict.fromkeys(ids) if i not in self.recent and (floor is None or i > floor)]
        if not wanted:
            return b""
        async with self.database.reader() as connection:
            items = await self.feed.load(connection, wanted, 0, len(wanted))
        return self._sent(items)


async def stream_response(
    request: Request, feed: Feed, last_event_id: int | None, heartbeat: float
) -> StreamingResponse:
    """Subscribe to the feed, then answer the stream; 503 when the database cannot be listened to."""
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    if request.scope.get(HEAD_FLAG):  # the headers only: no subscription, no endless body
        return StreamingResponse(iter(()), media_type=MEDIA_TYPE, headers=headers)
    database: Database = request.app.state.database
    listener = database.listener
    try:
        subscription = await listener.subscribe(feed.channel, feed.key)
    except ListenerUnavailable:
        raise ApiError("The database cannot be reached: please try again", status_code=503) from None
    stream = SseStream(database, listener, subscription, feed, last_event_id, heartbeat)
    return StreamingResponse(stream.body(), media_type=MEDIA_TYPE, headers=headers)


def end_streams_on_exit_signals(listener: Listener) -> Callable[[], None]:
    """Make SIGTERM and SIGINT end the open streams, then do what they did; returns the undo.

    uvicorn's graceful shutdown waits for every response to complete, and a stream never does:
    without this, a server with a stream client would not stop. Only in the main thread, and only
    over a handler someone installed (uvicorn's); elsewhere (tests, threads) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(signum)
        if not callable(handler) or handler is signal.default_int_handler:
            continue

        def ending(number: int, frame: Any, handler: Callable[[int, Any], Any] = handler) -> Any:
            loop.call_soon_threadsafe(listener.end_subscriptions)
            return handler(number, frame)

        previous[signum] = handler
        signal.signal(signum, ending)

    def undo() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return undo
