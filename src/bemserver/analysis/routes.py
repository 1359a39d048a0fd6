"""GET /analysis/completeness, /analysis/energy_consumption/..., /analysis/energy_production/...,
and /sites/{id}/degree_days."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bemserver.analysis import completeness as completeness_
from bemserver.analysis import schemas as s
from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Connection
from bemserver.http.etag import etag_of, with_etag
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes, dumps
from bemserver.timeseries_data.aggregate_routes import WidthUnit, WidthValue
from bemserver.timeseries_data.numeric import Bucketing
from bemserver.timeseries_data.params import DataState, End, Ids, Start, TimezoneArg

router = APIRouter(tags=["Analysis"])


def _tagged(request: Request, document: object) -> Response:
    payload = dumps(document)
    return with_etag(request, JSONBytes(payload), etag_of(payload))


@router.get(
    "/analysis/completeness",
    operation_id="get_completeness",
    summary="Data completeness of timeseries, per bucket",
    response_model=None,
    responses={
        200: {"model": s.Completeness},
        304: {"description": "Not modified"},
        **error_responses(401, 403, 422),
    },
)
async def get_completeness(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    timeseries: Ids,
    data_state: DataState,
    start_time: Start,
    end_time: End,
    bucket_width_value: WidthValue,
    bucket_width_unit: WidthUnit,
    timezone: TimezoneArg = "UTC",
) -> Response:
    grid = Bucketing(start_time, end_time, bucket_width_value, bucket_width_unit, timezone)
    document = await completeness_.completeness(connection, caller, timeseries, data_state, grid)
    return _tagged(request, document)
