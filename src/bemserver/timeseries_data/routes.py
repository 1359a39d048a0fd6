"""/timeseries_data/ (timeseries by id) and /timeseries_data/campaign/{id}/ (by name): GET POST DELETE."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from bemserver.auth.caller import Caller, CurrentCaller
from bemserver.db.driver import transaction
from bemserver.db.engine import Session
from bemserver.http.fields import ItemId, is_database_id
from bemserver.http.lean import lean_routes
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes
from bemserver.timeseries_data import ingest, points
from bemserver.timeseries_data.export import Column, csv_chunks, json_chunks, streamed
from bemserver.timeseries_data.formats import Format, accepted_format, body_format, data_response
from bemserver.timeseries_data.params import (
    ConvertTo,
    DataState,
    End,
    Overwrite,
    Start,
    TimezoneArg,
    checked_units,
    scale,
)
from bemserver.timeseries_data.request import (
    SelectedTimeseries,
    check_campaign,
    data_state_series,
    ids_selection,
    timeseries_by_ids,
    timeseries_by_names,
)

router = APIRouter()

BY_ID = "/timeseries_data/"
BY_NAME = "/timeseries_data/campaign/{campaign_id:int}/"
ID_TAG, NAME_TAG = "TimeseriesData", "TimeseriesDataForCampaign"

Ids = Annotated[list[int], Query(description="Timeseries IDs")]
Names = Annotated[list[str], Query(description="Timeseries names (within the campaign)")]

_READ = {
    200: {
        "description": "Points as {timeseries: {timestamp: value}} (JSON) or CSV, as the Accept header asks",
        "content": {"application/json": {}, "text/csv": {}},
    },
    **error_responses(401, 403, 404, 422),
}
_WRITE = {201: {"description": "Created"}, **error_responses(401, 403, 404, 422)}
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
    }
}


# ---------------------------------------------------------------------------------------------------
# Shared steps


def _columns_units(requested: list[Any], units: list[str] | None) -> dict[Any, str]:
    """Target unit per requested timeseries (first occurrence wins for duplicates); '' = none."""
    if units is None:
        return {}
    chosen: dict[Any, str] = {}
    for key, unit in zip(requested, units, strict=True):
        chosen.setdefault(key, unit)
    return chosen


async def _read(
    request: Request,
    session: Session,
    selected: list[SelectedTimeseries],
    labels: list[str],
    targets: list[str],
    data_state: int,
    start: datetime,
    end: datetime,
    timezone: str,
) -> Response:
    stored = await data_state_series(session, [ts.id for ts in selected], data_state)
    columns = [
        Column(label, stored.get(ts.id), *scale(ts.unit_symbol, unit))
        for ts, label, unit in zip(selected, labels, targets, strict=True)
    ]
    engine = request.app.state.engine
    fmt = accepted_format(request.headers.get("accept"))
    writer = csv_chunks if fmt is Format.CSV else json_chunks
    return data_response(await streamed(writer(engine, columns, start, end, timezone)), fmt)


async def _write(
    request: Request,
    session: Session,
    caller: Caller,
    data_state: int,
    overwrite: bool,
    campaign_id: int | None,
) -> Response:
    body = await request.body()
    csv_body, json_body = None, None
    if body_format(request.headers.get("content-type")) is Format.CSV:
        csv_body = ingest.read_csv(body)
        labels = csv_body.labels
    else:
        json_body = ingest.read_json(body)
        labels = list(json_body)

    def parsed(series_of: dict[str, int]) -> ingest.Batch:
        if csv_body is not None:
            return ingest.csv_points(csv_body, series_of)
        assert json_body is not None
        return ingest.json_points(json_body, series_of)

    if csv_body is not None:
        most = (body.count(b"\n") + 1) * len(labels)
    else:
        assert json_body is not None
        most = sum(len(points) for points in json_body.values())
    if campaign_id is None:
        keys: list[Any] = ingest.id_labels(labels)
        if most <= points.SMALL_BATCH:  # the write statement checks the timeseries itself
            selection, values, wanted = ids_selection(caller, keys)
            check = points.Check(selection, values, wanted)
            # Ids beyond int4 are unknown (the statement then writes nothing): packed as 0.
            by_id = {
                label: key if is_database_id(key) else 0 for label, key in zip(labels, keys, strict=True)
            }
            storable = values["wanted"]  # the others are unknown: reported, never written
            await points.write_small(
                session, parsed(by_id), storable, data_state, overwrite=overwrite, check=check
            )
            return JSONBytes(None, status_code=201)
        selected = await timeseries_by_ids(session, caller, keys)
        by_key = {ts.id: ts for ts in selected}
    else:
        keys = labels
        selected = await timeseries_by_names(session, caller, campaign_id, keys)
        by_key = {ts.name: ts for ts in selected}
    timeseries_ids = [ts.id for ts in selected]

    # The request runs in autocommit: a small write is one statement, a larger one a transaction.
    if most <= points.SMALL_BATCH:
        # Points packed with their timeseries id; series found or created by the same statement.
        by_label = {label: by_key[key].id for label, key in zip(labels, keys, strict=True)}
        await points.write_small(session, parsed(by_label), timeseries_ids, data_state, overwrite=overwrite)
    else:
        async with transaction(session):
            stored = await data_state_series(session, timeseries_ids, data_state, create=True)
            by_label = {label: stored[by_key[key].id] for label, key in zip(labels, keys, strict=True)}
            await points.write(session, parsed(by_label), overwrite=overwrite)
    return JSONBytes(None, status_code=201)


async def _delete(
    session: Session, selected: list[SelectedTimeseries], data_state: int, start: datetime, end: datetime
) -> Response:
    stored = await data_state_series(session, [ts.id for ts in selected], data_state)
    await points.delete(session, list(stored.values()), start, end)
    return Response(status_code=204)


# ---------------------------------------------------------------------------------------------------
# By timeseries id


@router.get(
    BY_ID,
    tags=[ID_TAG],
    operation_id="get_timeseries_data",
    summary="Get timeseries data",
    response_class=Response,
    responses=_READ,
)
async def get_by_id(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    timeseries: Ids,
    start_time: Start,
    end_time: End,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
    convert_to: ConvertTo = None,
) -> Response:
    units = _columns_units(timeseries, checked_units(convert_to, len(timeseries)))
    selected = await timeseries_by_ids(session, caller, timeseries)
    labels = [str(ts.id) for ts in selected]
    targets = [units.get(ts.id, "") for ts in selected]
    return await _read(
        request, session, selected, labels, targets, data_state, start_time, end_time, timezone
    )


@router.post(
    BY_ID,
    tags=[ID_TAG],
    status_code=201,
    operation_id="post_timeseries_data",
    summary="Post timeseries data",
    response_class=Response,
    responses=_WRITE,
    openapi_extra=_BODY,
)
async def post_by_id(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    data_state: DataState,
    overwrite: Overwrite = False,
) -> Response:
    return await _write(request, session, caller, data_state, overwrite, None)


@router.delete(
    BY_ID,
    tags=[ID_TAG],
    status_code=204,
    operation_id="delete_timeseries_data",
    summary="Delete timeseries data",
    response_class=Response,
    responses=_DELETE,
)
async def delete_by_id(
    session: Session,
    caller: CurrentCaller,
    timeseries: Ids,
    start_time: Start,
    end_time: End,
    data_state: DataState,
) -> Response:
    selected = await timeseries_by_ids(session, caller, timeseries)
    return await _delete(session, selected, data_state, start_time, end_time)


# ---------------------------------------------------------------------------------------------------
# By timeseries name, within a campaign


@router.get(
    BY_NAME,
    tags=[NAME_TAG],
    operation_id="get_timeseries_data_for_campaign",
    summary="Get timeseries data, timeseries named within a campaign",
    response_class=Response,
    responses=_READ,
)
async def get_by_name(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    campaign_id: ItemId,
    timeseries: Names,
    start_time: Start,
    end_time: End,
    data_state: DataState,
    timezone: TimezoneArg = "UTC",
    convert_to: ConvertTo = None,
) -> Response:
    units = _columns_units(timeseries, checked_units(convert_to, len(timeseries)))
    await check_campaign(session, caller, campaign_id)
    selected = await timeseries_by_names(session, caller, campaign_id, timeseries)
    labels = [ts.name for ts in selected]
    targets = [units.get(ts.name, "") for ts in selected]
    return await _read(
        request, session, selected, labels, targets, data_state, start_time, end_time, timezone
    )


@router.post(
    BY_NAME,
    tags=[NAME_TAG],
    status_code=201,
    operation_id="post_timeseries_data_for_campaign",
    summary="Post timeseries data, timeseries named within a campaign",
    response_class=Response,
    responses=_WRITE,
    openapi_extra=_BODY,
)
async def post_by_name(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    campaign_id: ItemId,
    data_state: DataState,
    overwrite: Overwrite = False,
) -> Response:
    await check_campaign(session, caller, campaign_id)
    return await _write(request, session, caller, data_state, overwrite, campaign_id)


@router.delete(
    BY_NAME,
    tags=[NAME_TAG],
    status_code=204,
    operation_id="delete_timeseries_data_for_campaign",
    summary="Delete timeseries data, timeseries named within a campaign",
    response_class=Response,
    responses=_DELETE,
)
async def delete_by_name(
    session: Session,
    caller: CurrentCaller,
    campaign_id: ItemId,
    timeseries: Names,
    start_time: Start,
    end_time: End,
    data_state: DataState,
) -> Response:
    await check_campaign(session, caller, campaign_id)
    selected = await timeseries_by_names(session, caller, campaign_id, timeseries)
    return await _delete(session, selected, data_state, start_time, end_time)


# Data writes are atomic by themselves (see _write): no BEGIN and COMMIT round trips around them.
lean_routes(router.routes, autocommit=frozenset({"POST"}))
