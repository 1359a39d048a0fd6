"""GET /timeseries_data/imports/{import_id} and its /stream: the progress of a named data import.

Our addition to the reference API (docs/compatibility.md). The state is a row of `data_imports`
(imports.py), read by its user (and admins; for an admin, their own import of that id first, else
the latest of that id). The stream answers as the other streams (http/sse.py): `retry:` and
`: connected`, then the current state and each change of it as a message (`id:` the state's
version, `event: progress`, then `done` or `failed`, `data:` the state as JSON), heartbeats in
between; it ends after the final state.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import StreamingResponse

from bemserver.auth.caller import Caller, CurrentCaller
from bemserver.db.database import Database
from bemserver.db.engine import Connection
from bemserver.db.listen import ListenerUnavailable, Subscription
from bemserver.http.errors import ApiError, NotFound
from bemserver.http.middleware import HEAD_FLAG
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes, dumps
from bemserver.http.sse import HEARTBEAT, MEDIA_TYPE, OPENING
from bemserver.timeseries_data import imports

router = APIRouter()

PENDING_WAIT = 5.0  # seconds a stream waits for an import not started yet (its POST may be on its way)

_COLUMNS = f"""
SELECT d.id, d.user_id, d.import_id, d.state, d.version, d.bytes_read, d.bytes_total, d.lines, d.points,
       d.report, d.error, d.started_at, d.updated_at,
       d.state IN ('receiving', 'writing') AND NOT {imports.ALIVE.format(row="d")} AS lost
FROM data_imports AS d
"""
_BY_NAME = text(
    _COLUMNS
    + """WHERE d.import_id = :import_id AND (d.user_id = :user_id OR :admin)
ORDER BY d.user_id = :user_id DESC, d.updated_at DESC LIMIT 1"""
)
_BY_ROW = text(_COLUMNS + "WHERE d.id = :id")

LOST = {
    "code": 503,
    "status": "Service Unavailable",
    "message": "The server stopped before the import ended: nothing was written",
}


def _state(row: Any) -> dict[str, Any]:
    """The state as clients see it."""
    state, error = row.state, row.error
    if row.lost:
        state, error = "failed", LOST
    return {
        "import_id": row.import_id,
        "state": state,
        "bytes_read": row.bytes_read,
        "bytes_total": row.bytes_total,
        "lines": row.lines,
        "points": row.points,
        "started_at": row.started_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "report": row.report,
        "error": error,
    }


async def _find(connection: Any, caller: Caller, import_id: str) -> Any:
    if not imports.valid_id(import_id):
        return None
    values = {"import_id": import_id, "user_id": caller.id, "admin": caller.is_admin}
    return (await connection.execute(_BY_NAME, values)).first()


_STATE_SCHEMA = {
    "type": "object",
    "properties": {
        "import_id": {"type": "string"},
        "state": {"type": "string", "enum": ["receiving", "writing", "done", "failed"]},
        "bytes_read": {"type": "integer"},
        "bytes_total": {"type": ["integer", "null"], "description": "The POST's Content-Length"},
        "lines": {"type": ["integer", "null"], "description": "CSV lines read (null for JSON)"},
        "points": {"type": "integer", "description": "Points parsed and sent to the database"},
        "started_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "report": {"type": ["object", "null"], "description": "done: the import report"},
        "error": {"type": ["object", "null"], "description": "failed: the POST's error answer"},
    },
}


@router.get(
    "/timeseries_data/imports/{import_id}",
    tags=["TimeseriesData"],
    operation_id="get_timeseries_data_import",
    summary="State of a data import named by the client (X-Import-Id)",
    description="The state of a POST /timeseries_data/ (or /timeseries_data/campaign/{id}/) sent with "
    "`X-Import-Id: <id>` or `import_id=<id>`: receiving (bytes_read of bytes_total), writing (lines, "
    "points), then done (report) or failed (error: the POST's answer). Only its user (and admins) "
    "see it; kept a day.",
    response_class=JSONBytes,
    responses={
        200: {
            "description": "The import's state",
            "content": {"application/json": {"schema": _STATE_SCHEMA}},
        },
        **error_responses(401, 404),
    },
)
async def get_import(connection: Connection, caller: CurrentCaller, import_id: str) -> JSONBytes:
    row = await _find(connection, caller, import_id)
    if row is None:
        raise NotFound("No such import")
    return JSONBytes(_state(row))


@router.get(
    "/timeseries_data/imports/{import_id}/stream",
    tags=["TimeseriesData"],
    operation_id="stream_timeseries_data_import",
    summary="Live progress of a data import named by the client (Server-Sent Events)",
    description="A `text/event-stream`: the import's state now, then each change (a few per second at "
    "most) as one message: `id:` (the state's version), `event: progress`, finally `event: done` or "
    "`event: failed`, and `data:` (the state, as GET /timeseries_data/imports/{import_id} answers it). "
    "The stream ends after the final state. An import not started yet is waited for a few seconds "
    "(the POST may still be on its way), then 404. A comment line `: heartbeat` is sent after "
    "`BEMSERVER_STREAM_HEARTBEAT` seconds (15) of quiet.",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The stream", "content": {MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **error_responses(401, 404, 503),
    },
)
async def stream_import(request: Request, caller: CurrentCaller, import_id: str) -> StreamingResponse:
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    database: Database = request.app.state.database
    async with database.reader() as connection:
        row = await _find(connection, caller, import_id)
    if request.scope.get(HEAD_FLAG):
        if row is None:
            raise NotFound("No such import")
        return StreamingResponse(iter(()), media_type=MEDIA_TYPE, headers=headers)
    if not imports.valid_id(import_id):
        raise NotFound("No such import")
    try:
        subscription = await database.listener.subscribe(
            imports.CHANNEL, None if caller.is_admin else caller.id
        )
    except ListenerUnavailable:
        raise ApiError("The database cannot be reached: please try again", status_code=503) from None
    try:
        if row is None:
            row = await _pending(database, subscription, caller, import_id)
    except BaseException:
        database.listener.unsubscribe(subscription)
        raise
    heartbeat = request.app.state.settings.stream_heartbeat
    return StreamingResponse(
        _body(database, subscription, row, heartbeat), media_type=MEDIA_TYPE, headers=headers
    )


async def _pending(database: Database, subscription: Subscription, caller: Caller, import_id: str) -> Any:
    """The import once started, waited for PENDING_WAIT seconds (404 after)."""
    deadline = time.monotonic() + PENDING_WAIT
    while (left := deadline - time.monotonic()) > 0:
        await subscription.next(left)
        async with database.reader() as connection:
            row = await _find(connection, caller, import_id)
        if row is not None:
            return row
    raise NotFound("No such import")


def _message(state: dict[str, Any], version: int) -> bytes:
    event = state["state"] if state["state"] in imports.FINAL else "progress"
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (version, event.encode(), dumps(state))


async def _body(
    database: Database, subscription: Subscription, row: Any, heartbeat: float
) -> AsyncIterator[bytes]:
    try:
        yield OPENING
        sent = None
        while row is not None:
            state = _state(row)
            if (row.version, state["state"]) != sent:
                sent = (row.version, state["state"])
                yield _message(state, row.version)
            if state["state"] in imports.FINAL or subscription.closed:
                return
            ids = await subscription.next(heartbeat)
            if ids is None:
                yield HEARTBEAT  # and look again: the server running the import may have stopped
            elif not (subscription.missed or row.id in ids):
                continue
            subscription.missed = False
            subscription.drain()
            async with database.reader() as connection:
                row = (await connection.execute(_BY_ROW, {"id": row.id})).first()
    finally:
        database.listener.unsubscribe(subscription)
