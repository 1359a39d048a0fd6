"""GET /timeseries_data/aggregate and /stats, by timeseries id and by name within a campaign."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Connection, database_of
from bemserver.http.fast.handlers import lean_routes
from bemserver.http.fields import AwareDT
from bemserver.http.openapi import error_responses
from bemserver.timeseries_data import aggregate, stats
from bemserver.timeseries_data.buckets import BucketUnit
from bemserver.timeseries_data.export import streamed
from bemserver.timeseries_data.formats import Format, accepted_format, csv_dialect, data_response
from bemserver.timeseries_data.params import (
    ConvertTo,
    DataState,
    DecimalArg,
    End,
    SeparatorArg,
    Start,
    TimeFormatArg,
    TimezoneArg,
    unit_targets,
)
from bemserver.timeseries_data.paths import Operation, mount
from bemserver.timeseries_data.rollups import refresh
from bemserver.timeseries_data.selection import Key, Selection, resolve

router = APIRouter()

WidthValue = Annotated[int, Query(ge=1, description="Bucket width: how many units (1 for calendar units)")]
WidthUnit = Annotated[BucketUnit, Query(description="Bucket width unit")]
AggregationArg = Annotated[aggregate.Aggregation, Query(description="Aggregation of each bucket's points")]

_AGGREGATE = {
    200: {
        "description": "Every bucket of every timeseries: {timeseries: {bucket start: value}} (JSON) or "
        "CSV, as the Accept header asks; empty buckets are null (0 for count)",
        "content": {"application/json": {}, "text/csv": {}},
    },
    **error_responses(401, 403, 404, 422),
}


class TSStats(BaseModel):
    first_timestamp: AwareDT | None = None
    last_timestamp: AwareDT | None = None
    count: int
    min: float | None = None
    max: float | None = None
    avg: float | None = None
    stddev: float | None = None


class TimeseriesDataStats(BaseModel):
    stats: dict[str, TSStats] = Field(description="Per timeseries (ID or name), over all its data")


_STATS = {
    200: {"description": "Stats of each timeseries over all its data", "model": TimeseriesDataStats},
    **error_responses(401, 403, 404, 422),
}


async def get_aggregate(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    campaign_id: int | None,
    timeseries: list[Key],
    bucket_width_value: WidthValue,
    bucket_width_unit: WidthUnit,
    start_time: Start,
    end_time: End,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
    convert_to: ConvertTo = None,
    aggregation: AggregationArg = aggregate.Aggregation.AVG,
    sep: SeparatorArg = "comma",
    decimal: DecimalArg = "point",
    time_format: TimeFormatArg = "iso",
) -> Response:
    aggregate.check_bucket_width(bucket_width_value, bucket_width_unit)
    targets = unit_targets(timeseries, convert_to)
    resolved = await resolve(connection, caller, Selection(timeseries, data_state, campaign_id))
    columns = resolved.columns(targets, unitless=aggregation is aggregate.Aggregation.COUNT)
    made = aggregate.bucket_grid(
        start_time, end_time, timezone, bucket_width_value, bucket_width_unit, len(columns)
    )
    fmt = accepted_format(request.headers.get("accept"))
    answer = aggregate.Query(columns, made, aggregation, timezone)
    engine = database_of(request).engine
    if fmt is Format.CSV:
        chunks = aggregate.csv_chunks(engine, answer, csv_dialect(sep, decimal, time_format))
    else:
        chunks = aggregate.json_chunks(engine, answer)
    return data_response(await streamed(chunks), fmt)


async def get_stats(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    campaign_id: int | None,
    timeseries: list[Key],
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
) -> Response:
    resolved = await resolve(connection, caller, Selection(timeseries, data_state, campaign_id))
    columns = resolved.columns()
    await refresh(
        database_of(request).engine, [column.series_id for column in columns if column.series_id is not None]
    )
    found = await stats.series_stats(connection, columns)
    return Response(stats.render(columns, found, timezone), media_type="application/json")


mount(
    router,
    [
        Operation(
            "GET",
            "aggregate",
            "get_timeseries_data_aggregate",
            "Get aggregated timeseries data",
            get_aggregate,
            _AGGREGATE,
        ),
        Operation(
            "GET", "stats", "get_timeseries_data_stats", "Get timeseries data stats", get_stats, _STATS
        ),
    ],
)

lean_routes(router.routes)
