"""The two path families of the data operations: timeseries by id (/timeseries_data/...) and by
name (/timeseries_data/campaign/{campaign_id}/...). An operation is one endpoint taking
`campaign_id: int | None` (None: by id); `mount` declares it on both.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from bemserver.http.fields import ItemId
from bemserver.timeseries_data.params import Ids, Names

Endpoint = Callable[..., Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    prefix: str
    tag: str
    timeseries: Any  # the annotation of the `timeseries` query parameter
    operation_suffix: str
    summary_suffix: str
    by_name: bool


BY_ID = Family("by_id", "/timeseries_data/", "TimeseriesData", Ids, "", "", by_name=False)
BY_NAME = Family(
    "by_name",
    "/timeseries_data/campaign/{campaign_id:int}/",
    "TimeseriesDataForCampaign",
    Names,
    "_for_campaign",
    ", timeseries named within a campaign",
    by_name=True,
)


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # after the family's prefix
    operation_id: str  # of the by-id form; the by-name form adds the family's suffix
    summary: str
    endpoint: Endpoint
    responses: dict[int | str, Any]
    status_code: int | None = None
    openapi_extra: dict[str, Any] | None = None


def _endpoint(operation: Endpoint, family: Family) -> Endpoint:
    """`operation` with the family's parameters, as FastAPI reads them from its signature."""
    signature = inspect.signature(operation, eval_str=True)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name == "campaign_id":
            if not family.by_name:
                continue
            parameter = parameter.replace(annotation=ItemId, default=inspect.Parameter.empty)
        elif parameter.name == "timeseries":
            parameter = parameter.replace(annotation=family.timeseries)
        parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))

    by_id = {"campaign_id": None} if "campaign_id" in signature.parameters and not family.by_name else {}

    async def endpoint(**kwargs: Any) -> Response:
        return await operation(**kwargs, **by_id)

    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = f"{operation.__name__}_{family.name}"
    return endpoint


def mount(router: APIRouter, operations: list[Operation]) -> None:
    """Every operation by id, then every one by name (the order of the OpenAPI document's paths)."""
    for family in (BY_ID, BY_NAME):
        for operation in operations:
            router.add_api_route(
                family.prefix + operation.path,
                _endpoint(operation.endpoint, family),
                methods=[operation.method],
                tags=[family.tag],
                operation_id=operation.operation_id + family.operation_suffix,
                summary=operation.summary + family.summary_suffix,
                response_class=Response,
                responses=operation.responses,
                status_code=operation.status_code,
                openapi_extra=operation.openapi_extra,
            )
