"""Query and path parsing as FastAPI does it, in one Pydantic call per set of parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, create_model
from starlette.datastructures import QueryParams

from bemserver.http.pagination import MAX_PAGE


def is_sequence(annotation: Any) -> bool:
    origin = getattr(annotation, "__origin__", None)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(is_sequence(arg) for arg in getattr(annotation, "__args__", ()) if arg is not type(None))


def extract(query: QueryParams, names: list[tuple[str, bool]]) -> dict[str, Any]:
    """As FastAPI reads the query: lists from every occurrence, other fields from the last one."""
    data: dict[str, Any] = {}
    for name, sequence in names:
        if sequence:
            values = query.getlist(name)
            if values:
                data[name] = values
        elif name in query:
            data[name] = query[name]
    return data


def validated(
    model: type[BaseModel], data: dict[str, Any], where: str, errors: list[Any]
) -> BaseModel | None:
    """`model` validated from `data`; None after adding its errors, located as FastAPI does, to `errors`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.extend({**error, "loc": (where, *error["loc"])} for error in exc.errors(include_url=False))
        return None


class Params:
    """One Pydantic model for a set of FastAPI parameters (fields of a dependant)."""

    def __init__(self, name: str, fields: list[Any], where: str) -> None:
        self.where = where
        self.names = [
            (field.alias or field.name, is_sequence(field.field_info.annotation)) for field in fields
        ]
        self.keys = [(field.alias or field.name, field.name) for field in fields]
        definitions = {field.name: (field.field_info.annotation, field.field_info) for field in fields}
        self.model: type[BaseModel] = create_model(name, **definitions)  # type: ignore[call-overload]

    def parse(self, source: QueryParams | dict[str, Any], errors: list[Any]) -> dict[str, Any]:
        data = extract(source, self.names) if isinstance(source, QueryParams) else source
        parsed = validated(self.model, data, self.where, errors)
        return {} if parsed is None else {name: getattr(parsed, name) for _, name in self.keys}


@dataclass(slots=True)
class ListArgs:
    """What a list request asked for: filters (a model instance or None), sort, (page, page_size)."""

    filters: BaseModel | None = None
    sort: str | None = None
    page: tuple[int, int] | None = None


class ListQuery:
    """Parses the query string of a generic list route: its filters, sort and pagination, with the
    errors FastAPI would report for the parameters the route documents."""

    def __init__(self, name: str, filters: type[BaseModel] | None, sort: bool, paginate: bool) -> None:
        self.filters = filters
        self.filter_names: list[tuple[str, bool]] = []
        if filters is not None:
            for field, info in filters.model_fields.items():
                self.filter_names.append((info.alias or field, is_sequence(info.annotation)))
        paging: dict[str, Any] = {}
        if sort:
            paging["sort"] = (str | None, None)
        if paginate:
            paging["page"] = (int, Field(1, ge=1, le=MAX_PAGE))
            paging["page_size"] = (int, Field(10, ge=1, le=100))
        self.paging: type[BaseModel] | None = create_model(f"{name}_paging", **paging) if paging else None
        self.paginate = paginate

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
