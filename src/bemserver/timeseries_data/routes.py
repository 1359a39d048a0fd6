"""GET POST DELETE /timeseries_data/ (timeseries by id) and /timeseries_data/campaign/{id}/ (by name)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from bemserver.auth.caller import Caller, CurrentCaller
from bemserver.db.driver import driver_of
from bemserver.db.engine import Connection, Reader, Session, database_of
from bemserver.http.errors import Unprocessable
from bemserver.http.fast.handlers import lean_routes
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes
from bemserver.timeseries_data import imports, ingest, report
from bemserver.timeseries_data.downsample import downsampled_json_chunks
from bemserver.timeseries_data.export import csv_chunks, json_chunks, streamed
from bemserver.timeseries_data.formats import (
    Format,
    accepted_format,
    body_format,
    charset,
    csv_dialect,
    data_response,
)
from bemserver.timeseries_data.params import (
    ConvertTo,
    DataState,
    DateOrderArg,
    DecimalArg,
    Dst,
    End,
    ImportIdArg,
    LocalTimezone,
    MaxPoints,
    Overwrite,
    ReportArg,
    SeparatorArg,
    Start,
    TimeFormatArg,
    TimezoneArg,
    unit_targets,
)
from bemserver.timeseries_data.paths import Operation, mount
from bemserver.timeseries_data.posted import parse_body
from bemserver.timeseries_data.selection import Key, Selection, require_readable_campaign, resolve
from bemserver.timeseries_data.timestamps import LocalTimes

router = APIRouter()

_READ = {
    200: {
        "description": "Points as {timeseries: {timestamp: value}} (JSON) or CSV, as the Accept header asks",
        "content": {"application/json": {}, "text/csv": {}},
    },
    **error_responses(401, 403, 404, 422),
}
_WRITE = {
    201: {
        "description": "Created: null, or the import report when asked for (report=true or "
        "Prefer: return=representation)",
        "headers": {
            "X-Import-Report": {
                "description": 'Points inserted, ignored (already stored) and overwritten: {"inserted": '
                'n, "ignored": n, "overwritten": n}',
                "schema": {"type": "string"},
            }
        },
    },
    **error_responses(401, 403, 404, 422),
}
_DELETE = {204: {"description": "Deleted"}, **error_responses(401, 403, 404, 422)}
_BODY = {
    "requestBody": {
        "required": True,
        "description": 'JSON {"<timeseries>": {"<aware ISO 8601 timestamp>": value}} or CSV '
        '"Datetime,<timeseries>,..." (Content-Type text/csv, any charset parameter)',
        "content": {
            "application/json": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    "parameters": [
        {
            "name": "X-Import-Id",
            "in": "header",
            "required": False,
            "description": "Like the import_id argument: name this import to follow its progress.",
            "schema": {"type": "string", "pattern": imports.ID_PATTERN},
        }
    ],
}


async def get_data(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    campaign_id: int | None,
    timeseries: list[Key],
    start_time: Start,
    end_time: End,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
    convert_to: ConvertTo = None,
    sep: SeparatorArg = "comma",
    decimal: DecimalArg = "point",
    time_format: TimeFormatArg = "iso",
    max_points: MaxPoints = None,
) -> Response:
    targets = unit_targets(timeseries, convert_to)
    fmt = accepted_format(request.headers.get("accept"))
    if max_points is not None and fmt is Format.CSV:
        raise Unprocessable(errors={"query": {"max_points": ["Only for JSON answers."]}})
    resolved = await resolve(connection, caller, Selection(timeseries, data_state, campaign_id))
    columns = resolved.columns(targets)
    engine = database_of(request).engine
    if max_points is not None:
        chunks = downsampled_json_chunks(engine, columns, start_time, end_time, timezone, max_points)
    elif fmt is Format.CSV:
        chunks = csv_chunks(
            engine, columns, start_time, end_time, timezone, csv_dialect(sep, decimal, time_format)
        )
    else:
        chunks = json_chunks(engine, columns, start_time, end_time, timezone)
    return data_response(await streamed(chunks), fmt)


async def post_data(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    campaign_id: int | None,
    data_state: DataState,
    overwrite: Overwrite = False,
    timezone: LocalTimezone = None,
    dst: Dst = None,
    date_order: DateOrderArg = "DMY",
    report_arg: ReportArg = False,
    import_id: ImportIdArg = None,
) -> Response:
    write = PostedWrite(campaign_id, data_state, overwrite, timezone, dst, date_order, report_arg)
    name = imports.requested_id(import_id, request.headers.get(imports.HEADER))
    if name is None:
        return await write.run(request, connection, caller, await request.body())
    tracker = await imports.Tracker.start(
        database_of(request),
        caller.id,
        name,
        imports.content_length(request.headers.get("content-length")),
        (await driver_of(connection)).info.backend_pid,
    )
    try:
        return await write.run(request, connection, caller, None, tracker)
    except Exception as error:  # answered here, once, so that the import keeps that answer
        response = await imports.answer_of(request, error)
        await tracker.failed(imports.answer_body(response))
        return response
    except BaseException:  # cancelled: the client left, or the server stops
        await asyncio.shield(tracker.failed(imports.INTERRUPTED))
        raise


@dataclass(frozen=True, slots=True)
class PostedWrite:
    """What a data POST asks for, beyond its body."""

    campaign_id: int | None
    data_state: int
    overwrite: bool
    timezone: str | None
    dst: str | None
    date_order: str
    report_arg: bool

    async def run(
        self,
        request: Request,
        connection: Reader,
        caller: Caller,
        body: bytes | None,
        tracker: imports.Tracker | None = None,
    ) -> Response:
        """The POST's answer; with a tracker, the body is read here and the progress reported."""
        if self.campaign_id is not None:
            await require_readable_campaign(connection, caller, self.campaign_id)
        if body is None:
            assert tracker is not None
            parts = []
            async for part in request.stream():
                parts.append(part)
                tracker.received(len(part))
            body = b"".join(parts)
        content_type = request.headers.get("content-type")
        csv_text = body_format(content_type) is Format.CSV
        local = LocalTimes(self.timezone, self.dst, self.date_order) if self.timezone else None
        posted = parse_body(body, csv_text=csv_text, charset=charset(content_type), local=local)
        if tracker is not None:
            table = posted.table
            tracker.writing(None if table is None else lambda: int(table.reader.line_num))
            posted.watch = tracker.counted
        written = await ingest.write(
            connection,
            caller,
            posted,
            self.data_state,
            campaign_id=self.campaign_id,
            overwrite=self.overwrite,
        )
        if tracker is not None:
            await tracker.done(written.body())
        answer = written.body() if report.asked(self.report_arg, request.headers.get("prefer")) else None
        return JSONBytes(answer, status_code=201, headers={report.HEADER: written.header()})


async def delete_data(
    session: Session,
    caller: CurrentCaller,
    campaign_id: int | None,
    timeseries: list[Key],
    start_time: Start,
    end_time: End,
    data_state: DataState,
) -> Response:
    resolved = await resolve(session, caller, Selection(timeseries, data_state, campaign_id))
    await ingest.delete(session, resolved, start_time, end_time)
    return Response(status_code=204)


mount(
    router,
    [
        Operation("GET", "", "get_timeseries_data", "Get timeseries data", get_data, _READ),
        Operation(
            "POST",
            "",
            "post_timeseries_data",
            "Post timeseries data",
            post_data,
            _WRITE,
            status_code=201,
            openapi_extra=_BODY,
        ),
        Operation(
            "DELETE",
            "",
            "delete_timeseries_data",
            "Delete timeseries data",
            delete_data,
            _DELETE,
            status_code=204,
        ),
    ],
)

# Reads and POSTs take an autocommit connection: data writes are atomic by themselves (see
# ingest.py), so no BEGIN and COMMIT round trips around them. DELETE runs in a unit of work.
lean_routes(router.routes)
