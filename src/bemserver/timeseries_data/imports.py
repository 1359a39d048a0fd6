"""The progress of a data POST that names an import (`X-Import-Id` header or `import_id` argument).

While the request runs, its row of `data_imports` goes through the states

    receiving (bytes_read of bytes_total, the Content-Length) -> writing (lines, points)
    -> done (the import report) | failed (the error answer, as the client got it)

and each change is announced on the `bemserver_imports` channel (db/listen.py: the row id, keyed
by its user), read by GET /timeseries_data/imports/{import_id}[/stream] (import_routes.py).

Progress costs nothing per point: the tracker counts packed chunks (8192 points each) and saves
at most every INTERVAL seconds, in a task of its own on another connection (the import's own
transaction would announce only at its commit), never waiting for it; the final state is saved
before the answer is sent. A row whose request's database connection is gone (the server
stopped) reads as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from bemserver.db.database import Database
from bemserver.http.errors import Conflict, Unprocessable
from bemserver.timeseries_data.posted import row_count

log = logging.getLogger("bemserver.imports")

CHANNEL = "bemserver_imports"
HEADER = "X-Import-Id"
INTERVAL = 0.25  # seconds between two saved progress states
KEPT = "1 day"  # rows older than this are deleted when an import starts
ID_PATTERN = r"^[A-Za-z0-9._~-]{1,64}$"
_ID = re.compile(ID_PATTERN)
RUNNING = ("receiving", "writing")
FINAL = ("done", "failed")

# A running row is alive while the request's database connection is (pids are reused: the
# connection must have started before the import).
ALIVE = """EXISTS (SELECT 1 FROM pg_stat_activity AS a
    WHERE a.pid = {row}.backend_pid AND a.backend_start <= {row}.started_at)"""
_ANNOUNCE = (
    "pg_notify('"
    + CHANNEL
    + "', json_build_object('rows', json_build_array(json_build_array(id, user_id)))::text)"
)

_START = text(f"""
WITH old AS (DELETE FROM data_imports WHERE updated_at < now() - interval '{KEPT}'),
saved AS (
    INSERT INTO data_imports AS d (user_id, import_id, state, version, bytes_read, bytes_total, lines,
        points, backend_pid)
    VALUES (:user_id, :import_id, 'receiving', 1, 0, :bytes_total, NULL, 0, :backend_pid)
    ON CONFLICT (user_id, import_id) DO UPDATE SET state = 'receiving', version = d.version + 1,
        bytes_read = 0, bytes_total = EXCLUDED.bytes_total, lines = NULL, points = 0, report = NULL,
        error = NULL, backend_pid = EXCLUDED.backend_pid, started_at = now(), updated_at = now()
    WHERE d.state NOT IN ('receiving', 'writing') OR NOT {ALIVE.format(row="d")}
    RETURNING id, user_id
)
SELECT id, {_ANNOUNCE} FROM saved
""")

_SAVE = text(f"""
WITH saved AS (
    UPDATE data_imports SET state = :state, version = version + 1, bytes_read = :bytes_read,
        lines = :lines, points = :points, report = CAST(:report AS json), error = CAST(:error AS json),
        updated_at = now()
    WHERE id = :id AND state IN ('receiving', 'writing')
    RETURNING id, user_id
)
SELECT {_ANNOUNCE} FROM saved
""")


def valid_id(value: str) -> bool:
    return _ID.fullmatch(value) is not None


def checked_id(value: str, where: str) -> str:
    """The import id: 1 to 64 letters, digits or `-._~` (422 otherwise)."""
    if not valid_id(value):
        message = "1 to 64 characters among letters, digits and - . _ ~ (a UUID, say)."
        raise Unprocessable(errors={where: {"import_id": [message]}})
    return value


def requested_id(query: str | None, header: str | None) -> str | None:
    """The import id of a POST, from its argument or its header (422 if bad, or if they differ)."""
    if query is not None and header is not None and query != header:
        raise Unprocessable(errors={"query": {"import_id": [f"Not the {HEADER} header's."]}})
    if query is not None:
        return checked_id(query, "query")
    if header is not None:
        return checked_id(header.strip(), "headers")
    return None


def content_length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


class Tracker:
    """The progress of one import, saved and announced (see the module docstring)."""

    def __init__(self, database: Database, row_id: int) -> None:
        self.database, self.row_id = database, row_id
        self.state = "receiving"
        self.bytes_read = 0
        self.lines: Callable[[], int] | None = None  # CSV: the reader's line number
        self.points = 0
        self._due = time.monotonic() + INTERVAL
        self._saving: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        database: Database,
        user_id: int,
        import_id: str,
        bytes_total: int | None,
        backend_pid: int | None,
    ) -> Tracker:
        """The import's row, made (or remade, if its previous run ended); 409 if it runs."""
        values = {
            "user_id": user_id,
            "import_id": import_id,
            "bytes_total": bytes_total,
            "backend_pid": backend_pid,
        }
        async with database.reader() as connection:
            row_id = await connection.scalar(_START, values)
        if row_id is None:
            raise Conflict(f"The import {import_id!r} is running: wait for its end, or choose another id")
        return cls(database, int(row_id))

    # -- progress (cheap: a clock reading per call, a save every INTERVAL at most) ---------------------

    def received(self, size: int) -> None:
        self.bytes_read += size
        self._tick()

    def writing(self, lines: Callable[[], int] | None) -> None:
        self.state, self.lines = "writing", lines
        self._due = 0.0
        self._tick()

    def counted(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The packed chunks, counted as they go to the database."""
        for chunk in chunks:
            self.points += row_count(chunk)
            self._tick()
            yield chunk

    def _tick(self) -> None:
        now = time.monotonic()
        if now < self._due or (self._saving is not None and not self._saving.done()):
            return
        self._due = now + INTERVAL
        self._saving = asyncio.get_running_loop().create_task(self._save_quietly(self._values()))

    def _values(self, **final: Any) -> dict[str, Any]:
        return {
            "id": self.row_id,
            "state": self.state,
            "bytes_read": self.bytes_read,
            "lines": self.lines() if self.lines is not None else None,
            "points": self.points,
            "report": None,
            "error": None,
        } | final

    async def _save(self, values: dict[str, Any]) -> None:
        async with self.database.reader() as connection:
            await connection.execute(_SAVE, values)

    async def _save_quietly(self, values: dict[str, Any]) -> None:
        try:
            await self._save(values)
        except Exception as error:  # progress is best effort: the import goes on
            log.warning("could not save the progress of import %s: %s", self.row_id, error)

    # -- the end ----------------------------------------------------------------------------------------

    async def _final(self, **final: Any) -> None:
        if self._saving is not None and not self._saving.done():
            with contextlib.suppress(Exception):
                await self._saving  # an older state must not land after the final one
        await self._save_quietly(self._values(**final))

    async def done(self, report: dict[str, Any]) -> None:
        await self._final(state="done", report=orjson.dumps(report).decode())

    async def failed(self, answer: dict[str, Any]) -> None:
        await self._final(state="failed", error=orjson.dumps(answer).decode())


async def answer_of(request: Request, error: Exception) -> Response:
    """The error answer the app's handlers give (the same handler, called once: the request then
    returns it instead of raising)."""
    for kind in type(error).__mro__:
        handler = request.app.exception_handlers.get(kind)
        if handler is not None:
            response: Response = await handler(request, error)
            return response
    raise error


def answer_body(response: Response) -> dict[str, Any]:
    try:
        body = orjson.loads(bytes(response.body))
    except orjson.JSONDecodeError:
        body = None
    return body if isinstance(body, dict) else {"code": response.status_code}


INTERRUPTED = {
    "code": 499,
    "status": "Client Closed Request",
    "message": "The request ended before the import did: nothing was written",
}
