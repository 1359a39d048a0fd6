"""PUT /sites/{id}/download_weather_data: a site extra (tag Site), served by the weather domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Connection
from bemserver.http.fields import AwareDT, ItemId
from bemserver.http.openapi import error_responses
from bemserver.weather.download import download_weather_for_site

router = APIRouter(tags=["Site"])

Start = Annotated[AwareDT, Query(description="Initial datetime (included)")]
End = Annotated[AwareDT, Query(description="End datetime (excluded)")]
Forecast = Annotated[
    bool, Query(description="Download into the forecast timeseries (else the measured ones)")
]


@router.put(
    "/sites/{item_id:int}/download_weather_data",
    status_code=204,
    operation_id="download_weather_data",
    summary="Download weather data into the site's weather timeseries (Clean data state)",
    responses=error_responses(401, 403, 404, 409, 422, 502, 504),
)
async def download_weather_data(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    item_id: ItemId,
    start_time: Start,
    end_time: End,
    forecast: Forecast = False,
) -> Response:
    # Autocommit: no transaction is held open while the provider answers; the replacement of the
    # period's data is one transaction (see download.py).
    settings = request.app.state.settings
    await download_weather_for_site(
        connection, caller, item_id, start_time, end_time, forecast, settings=settings
    )
    return Response(status_code=204)
