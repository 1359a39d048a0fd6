"""Lean runtime for the generic read routes (list and get), the API's most frequent requests.

Such a route is declared to FastAPI as usual, so OpenAPI documents it from its endpoint's
signature, but it runs through `lean(route, handler)`: a plain `handler(request)` that opens the
session, authenticates and parses the query string itself, in one Pydantic validation. FastAPI's
per-request dependency solving, which validates query parameters one field at a time, cost about
half of a small list's server time. The results are the same: the same checks in the same order
(401/403 before 422), and RequestValidationError with the locations FastAPI would give.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError, create_model
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from bemserver.crud.resource import Resource

Handler = Callable[[Request], Awaitable[Response]]


def lean(route: APIRoute, handler: Handler) -> None:
    """Run `route` through `handler` (documentation unchanged)."""
    route.app = request_response(handler)


def _is_sequence(annotation: Any) -> bool:
    origin = getattr(annotation, "__origin__", None)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_sequence(arg) for arg in getattr(annotation, "__args__", ()) if arg is not type(None))


class ListArgs:
    """What a list request asked for: filters (a model instance or None), sort, (page, page_size)."""

    __slots__ = ("filters", "page", "sort")

    def __init__(
        self,
        filters: BaseModel | None = None,
        sort: str | None = None,
        page: tuple[int, int] | None = None,
    ) -> None:
        self.filters, self.sort, self.page = filters, sort, page


class ListQuery:
    """Parses the query string of one resource's list route: its filters, sort and pagination."""

    def __init__(self, resource: Resource) -> None:
        self.filters = resource.filters
        self.filter_names: list[tuple[str, bool]] = []
        if self.filters is not None:
            for name, info in self.filters.model_fields.items():
                self.filter_names.append((info.alias or name, _is_sequence(info.annotation)))
        paging: dict[str, Any] = {}
        if resource.sort:
            paging["sort"] = (str | None, None)
        if resource.paginate:
            paging["page"] = (int, Field(1, ge=1))
            paging["page_size"] = (int, Field(10, ge=1, le=100))
        self.paging: type[BaseModel] | None = (
            create_model(f"{resource.plural}_paging", **paging) if paging else None
        )
        self.paginate = resource.paginate

    def parse(self, query: QueryParams) -> ListArgs:
        errors: list[Any] = []
        filters = None
        if self.filters is not None:
            data = _extract(query, self.filter_names)
            try:
                filters = self.filters.model_validate(data)
            except ValidationError as exc:
                errors.extend(_located(exc, "query"))
        paging = None
        if self.paging is not None:
            try:
                paging = self.paging.model_validate(
                    {name: query[name] for name in self.paging.model_fields if name in query}
                )
            except ValidationError as exc:
                errors.extend(_located(exc, "query"))
        if errors:
            raise RequestValidationError(errors)
        sort = getattr(paging, "sort", None)
        page = (paging.page, paging.page_size) if self.paginate and paging is not None else None  # type: ignore[attr-defined]
        return ListArgs(filters, sort, page)


def _extract(query: QueryParams, names: list[tuple[str, bool]]) -> dict[str, Any]:
    """As FastAPI reads a query model: lists from every occurrence, other fields from the last."""
    data: dict[str, Any] = {}
    for name, sequence in names:
        if sequence:
            values = query.getlist(name)
            if values:
                data[name] = values
        elif name in query:
            data[name] = query[name]
    return data


def _located(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    return [{**error, "loc": (where, *error["loc"])} for error in exc.errors(include_url=False)]
