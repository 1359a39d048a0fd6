"""Query parsing of the generic list routes, which run leanly (see http/lean.py)."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, create_model
from starlette.datastructures import QueryParams

from bemserver.crud.resource import Resource
from bemserver.http.lean import extract, is_sequence, validated
from bemserver.http.pagination import MAX_PAGE


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
    """Parses the query string of one resource's list route: its filters, sort and pagination,
    with the errors FastAPI would report for the parameters the route documents."""

    def __init__(self, resource: Resource) -> None:
        self.filters = resource.filters
        self.filter_names: list[tuple[str, bool]] = []
        if self.filters is not None:
            for name, info in self.filters.model_fields.items():
                self.filter_names.append((info.alias or name, is_sequence(info.annotation)))
        paging: dict[str, Any] = {}
        if resource.sort:
            paging["sort"] = (str | None, None)
        if resource.paginate:
            paging["page"] = (int, Field(1, ge=1, le=MAX_PAGE))
            paging["page_size"] = (int, Field(10, ge=1, le=100))
        self.paging: type[BaseModel] | None = (
            create_model(f"{resource.plural}_paging", **paging) if paging else None
        )
        self.paginate = resource.paginate

    def parse(self, query: QueryParams) -> ListArgs:
        errors: list[Any] = []
        filters = paging = None
        if self.filters is not None:
            filters = validated(self.filters, extract(query, self.filter_names), "query", errors)
        if self.paging is not None:
            given = {name: query[name] for name in self.paging.model_fields if name in query}
            paging = validated(self.paging, given, "query", errors)
        if errors:
            raise RequestValidationError(errors)
        sort = getattr(paging, "sort", None)
        page = (paging.page, paging.page_size) if self.paginate and paging is not None else None  # type: ignore[attr-defined]
        return ListArgs(filters, sort, page)
