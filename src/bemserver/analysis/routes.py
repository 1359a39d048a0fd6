"""GET /analysis/completeness, /analysis/energy_consumption/..., /analysis/energy_production/...,
and /sites/{id}/degree_days."""

from __future__ import annotations

import inspect
from datetime import date
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator
from starlette.responses import Response

from bemserver.analysis import breakdown as breakdown_
from bemserver.analysis import completeness as completeness_
from bemserver.analysis import degree_days as dd
from bemserver.analysis import schemas as s
from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Connection
from bemserver.http.errors import Unprocessable
from bemserver.http.etag import etag_of, with_etag
from bemserver.http.fast.handlers import lean_endpoint
from bemserver.http.fields import DT_MAX, DT_MIN, ItemId
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes, dumps
from bemserver.timeseries_data.aggregate_routes import WidthUnit, WidthValue
from bemserver.timeseries_data.numeric import Bucketing
from bemserver.timeseries_data.params import DataState, End, Ids, Start, TimezoneArg
from bemserver.units import UnitError, parse_unit

router = APIRouter()
TAGS: list[str | Enum] = ["Analysis"]  # degree days go with the Site operations, as in the reference


def _tagged(request: Request, document: object) -> Response:
    payload = dumps(document)
    return with_etag(request, JSONBytes(payload), etag_of(payload))


@router.get(
    "/analysis/completeness",
    tags=TAGS,
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


# Energy consumption and production breakdowns
Unit = Annotated[str, Query(description="Unit of the energy values (any energy unit: Wh, kWh, MJ...)")]
RatioProperty = Annotated[
    str | None, Query(description="Name of a property of the site or building to divide every value by")
]


def _checked_unit(name: str, symbol: str) -> str:
    try:
        parse_unit(symbol)
    except UnitError:
        raise Unprocessable(errors={"query": {name: ["Undefined unit."]}}) from None
    return symbol


def _breakdown_route(flow: str, kind: str) -> None:
    which = breakdown_.BREAKDOWNS[flow, kind]
    model = s.EnergyConsumption if flow == "consumption" else s.EnergyProduction
    by = "end use" if flow == "consumption" else "production technology"

    async def endpoint(**arguments: Any) -> Response:
        a = arguments
        grid = Bucketing(
            a["start_time"], a["end_time"], a["bucket_width_value"], a["bucket_width_unit"], a["timezone"]
        )
        unit = _checked_unit("unit", a["unit"])
        document = await breakdown_.breakdown(
            a["connection"], a["caller"], which, a[f"{kind}_id"], grid, unit, a["ratio_property"]
        )
        return _tagged(a["request"], document)

    # The path parameter is named after the element (site_id, building_id), as in the reference.
    parameters = [
        ("request", Request, inspect.Parameter.empty),
        ("connection", Connection, inspect.Parameter.empty),
        ("caller", CurrentCaller, inspect.Parameter.empty),
        (f"{kind}_id", ItemId, inspect.Parameter.empty),
        ("start_time", Start, inspect.Parameter.empty),
        ("end_time", End, inspect.Parameter.empty),
        ("bucket_width_value", WidthValue, inspect.Parameter.empty),
        ("bucket_width_unit", WidthUnit, inspect.Parameter.empty),
        ("timezone", TimezoneArg, "UTC"),
        ("unit", Unit, "Wh"),
        ("ratio_property", RatioProperty, None),
    ]
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            for name, annotation, default in parameters
        ]
    )
    endpoint.__name__ = f"get_energy_{flow}_breakdown_for_{kind}"
    router.add_api_route(
        f"/analysis/energy_{flow}/{kind}/{{{kind}_id}}",
        endpoint,
        methods=["GET"],
        tags=TAGS,
        operation_id=f"get_energy_{flow}_breakdown_for_{kind}",
        summary=f"Energy {flow} of a {kind}, by energy and {by}, per bucket",
        response_model=None,
        response_class=Response,
        responses={
            200: {"model": model},
            304: {"description": "Not modified"},
            **error_responses(401, 403, 404, 409, 422),
        },
    )


for _flow in ("consumption", "production"):
    for _kind in ("site", "building"):
        _breakdown_route(_flow, _kind)


# Degree days (in the Site tag, as in the reference)
def _in_range(value: date) -> date:
    if not DT_MIN.date() <= value < DT_MAX.date():
        raise ValueError(f"Must be between {DT_MIN.date()} and {DT_MAX.date()} (excluded).")
    return value


DateArg = Annotated[date, AfterValidator(_in_range)]


@router.get(
    "/sites/{item_id}/degree_days",
    tags=["Site"],
    operation_id="get_site_degree_days",
    summary="Heating or cooling degree days of a site, per period",
    response_model=None,
    responses={200: {"model": s.DegreeDays}, **error_responses(401, 403, 404, 409, 422)},
)
async def get_degree_days(
    connection: Connection,
    caller: CurrentCaller,
    item_id: ItemId,
    start_date: Annotated[DateArg, Query(description="First day (included), in the campaign's timezone")],
    end_date: Annotated[DateArg, Query(description="Last day (excluded)")],
    period: Annotated[dd.Period, Query(description="Periods the days add up to (weeks start on Monday)")],
    type_: Annotated[
        dd.Kind, Query(alias="type", description="Heating or cooling degree days")
    ] = dd.Kind.HEATING,
    base: Annotated[float, Query(allow_inf_nan=False, description="Base temperature, in `unit`")] = 18.0,
    unit: Annotated[str, Query(description="Temperature unit of the base and of the degree days")] = "°C",
    method: Annotated[
        dd.Method,
        Query(
            description="min_max: daily (min + max) / 2 of the hourly means (the reference's); "
            "integrated: the mean of the day's hourly differences"
        ),
    ] = dd.Method.MIN_MAX,
) -> Response:
    values = await dd.degree_days(
        connection,
        caller,
        item_id,
        start_date,
        end_date,
        period,
        type_,
        base,
        _checked_unit("unit", unit),
        method,
    )
    return JSONBytes(dumps({"degree_days": values}))


# On the fast request path: for a small answer, FastAPI's parameter solving costs as much as the rest.
lean_endpoint(router.routes[-1])  # type: ignore[arg-type]
