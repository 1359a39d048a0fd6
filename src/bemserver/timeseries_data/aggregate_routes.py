"""GET /timeseries_data/aggregate and /stats, by timeseries id and by name within a campaign."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Session
from bemserver.http.errors import Unprocessable
from bemserver.http.fields import AwareDT, ItemId
from bemserver.http.lean import lean_routes
from bemserver.http.openapi import error_responses
from bemserver.timeseries_data import aggregate, stats
from bemserver.timeseries_data.buckets import FIXED_SECONDS, BucketUnit, check_width, grid
from bemserver.timeseries_data.export import streamed
from bemserver.timeseries_data.formats import Format, accepted_format, data_response
from bemserver.timeseries_data.params import (
    ConvertTo,
    DataState,
    End,
    Start,
    TimezoneArg,
    checked_units,
    scale,
)
from bemserver.timeseries_data.request import (
    SelectedTimeseries,
    check_campaign,
    data_state_series,
    timeseries_by_ids,
    timeseries_by_names,
)

router = APIRouter()

ID_TAG, NAME_TAG = "TimeseriesData", "TimeseriesDataForCampaign"
BY_ID, BY_NAME = "/timeseries_data/", "/timeseries_data/campaign/{campaign_id:int}/"

MAX_VALUES = 10_000_000  # buckets x timeseries in one answer
MAX_WIDTH_SECONDS = 10**10  # about 317 years: wider buckets would only leave the datetime range

Ids = Annotated[list[int], Query(description="Timeseries IDs")]
Names = Annotated[list[str], Query(description="Timeseries names (within the campaign)")]
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


# ---------------------------------------------------------------------------------------------------
# Shared steps


def _targets(requested: list[Any], units: list[str] | None) -> dict[Any, str]:
    """Target unit per requested timeseries (first occurrence wins for duplicates); '' = none."""
    chosen: dict[Any, str] = {}
    for key, unit in zip(requested, units or [], strict=False):
        chosen.setdefault(key, unit)
    return chosen


async def _aggregate(
    request: Request,
    session: Session,
    selected: list[SelectedTimeseries],
    labels: list[str],
    targets: list[str],
    data_state: int,
    query: tuple[Any, ...],
) -> Response:
    start, end, timezone, value, unit, aggregation = query
    stored = await data_state_series(session, [ts.id for ts in selected], data_state)
    columns = []
    for ts, label, target in zip(selected, labels, targets, strict=True):
        # A count has no unit: only dimensionless targets convert it.
        source = "" if aggregation is aggregate.Aggregation.COUNT else ts.unit_symbol
        columns.append(aggregate.Column(label, stored.get(ts.id), *scale(source, target)))
    limit = MAX_VALUES // max(len(columns), 1)
    made = grid(start, end, timezone, value, unit, limit)
    fmt = accepted_format(request.headers.get("accept"))
    chunks = aggregate.csv_chunks if fmt is Format.CSV else aggregate.json_chunks
    engine = request.app.state.engine
    answer = aggregate.Query(columns, made, aggregation, timezone)
    return data_response(await streamed(chunks(engine, answer)), fmt)


def _check_query(value: int, unit: BucketUnit, convert_to: list[str] | None, size: int) -> list[str] | None:
    check_width(value, unit)
    if value * FIXED_SECONDS.get(unit, 1) > MAX_WIDTH_SECONDS:
        raise Unprocessable(errors={"query": {"bucket_width_value": ["Bucket width too large."]}})
    return checked_units(convert_to, size)


async def _stats(
    request: Request,
    session: Session,
    selected: list[SelectedTimeseries],
    labels: list[str],
    data_state: int,
    timezone: str,
) -> Response:
    stored = await data_state_series(session, [ts.id for ts in selected], data_state)
    columns = [stats.Column(label, stored.get(ts.id)) for ts, label in zip(selected, labels, strict=True)]
    found = await stats.series_stats(session, request.app.state.engine, columns)
    return Response(stats.render(columns, found, timezone), media_type="application/json")


# ---------------------------------------------------------------------------------------------------
# By timeseries id


@router.get(
    BY_ID + "aggregate",
    tags=[ID_TAG],
    operation_id="get_timeseries_data_aggregate",
    summary="Get aggregated timeseries data",
    response_class=Response,
    responses=_AGGREGATE,
)
async def aggregate_by_id(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    timeseries: Ids,
    bucket_width_value: WidthValue,
    bucket_width_unit: WidthUnit,
    start_time: Start,
    end_time: End,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
    convert_to: ConvertTo = None,
    aggregation: AggregationArg = aggregate.Aggregation.AVG,
) -> Response:
    units = _targets(
        timeseries, _check_query(bucket_width_value, bucket_width_unit, convert_to, len(timeseries))
    )
    selected = await timeseries_by_ids(session, caller, timeseries)
    labels = [str(ts.id) for ts in selected]
    targets = [units.get(ts.id, "") for ts in selected]
    query = (start_time, end_time, timezone, bucket_width_value, bucket_width_unit, aggregation)
    return await _aggregate(request, session, selected, labels, targets, data_state, query)


@router.get(
    BY_ID + "stats",
    tags=[ID_TAG],
    operation_id="get_timeseries_data_stats",
    summary="Get timeseries data stats",
    response_class=Response,
    responses=_STATS,
)
async def stats_by_id(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    timeseries: Ids,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
) -> Response:
    selected = await timeseries_by_ids(session, caller, timeseries)
    return await _stats(request, session, selected, [str(ts.id) for ts in selected], data_state, timezone)


# ---------------------------------------------------------------------------------------------------
# By timeseries name, within a campaign


@router.get(
    BY_NAME + "aggregate",
    tags=[NAME_TAG],
    operation_id="get_timeseries_data_aggregate_for_campaign",
    summary="Get aggregated timeseries data, timeseries named within a campaign",
    response_class=Response,
    responses=_AGGREGATE,
)
async def aggregate_by_name(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    campaign_id: ItemId,
    timeseries: Names,
    bucket_width_value: WidthValue,
    bucket_width_unit: WidthUnit,
    start_time: Start,
    end_time: End,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
    convert_to: ConvertTo = None,
    aggregation: AggregationArg = aggregate.Aggregation.AVG,
) -> Response:
    units = _targets(
        timeseries, _check_query(bucket_width_value, bucket_width_unit, convert_to, len(timeseries))
    )
    await check_campaign(session, caller, campaign_id)
    selected = await timeseries_by_names(session, caller, campaign_id, timeseries)
    labels = [ts.name for ts in selected]
    targets = [units.get(ts.name, "") for ts in selected]
    query = (start_time, end_time, timezone, bucket_width_value, bucket_width_unit, aggregation)
    return await _aggregate(request, session, selected, labels, targets, data_state, query)


@router.get(
    BY_NAME + "stats",
    tags=[NAME_TAG],
    operation_id="get_timeseries_data_stats_for_campaign",
    summary="Get timeseries data stats, timeseries named within a campaign",
    response_class=Response,
    responses=_STATS,
)
async def stats_by_name(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    campaign_id: ItemId,
    timeseries: Names,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
) -> Response:
    await check_campaign(session, caller, campaign_id)
    selected = await timeseries_by_names(session, caller, campaign_id, timeseries)
    return await _stats(request, session, selected, [ts.name for ts in selected], data_state, timezone)


lean_routes(router.routes)
