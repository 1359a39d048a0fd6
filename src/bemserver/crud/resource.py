"""A Resource declares one collection (/x/) and item (/x/{item_id}) pair of routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from bemserver.auth.caller import Caller
from bemserver.db.engine import Reader
from bemserver.settings import Settings

Item = dict[str, Any]
FilterFn = Callable[[Any], ColumnElement[bool]]
EnrichFn = Callable[[Reader, list[Item]], Awaitable[None]]
BeforeWriteFn = Callable[[AsyncSession, Caller, Item, Item | None], Awaitable[Item]]
AfterWriteFn = Callable[[AsyncSession, Caller, Item, Settings], Awaitable[None]]
BeforeDeleteFn = Callable[[AsyncSession, Caller, Item], Awaitable[None]]
# (request, validated body values) -> the inserted row (columns of the read schema), or None for
# the declared route: a create done whole in one statement, caller's checks included.
QuickCreateFn = Callable[[Request, Item], Awaitable[Item | None]]


@dataclass(frozen=True)
class Narrowed:
    """What a resource knows better than a count of the matches: the total of a page (SQL, in the
    page's statement) and conditions that keep every row of the page but search fewer."""

    total: ColumnElement[Any]
    search: list[ColumnElement[bool]]


@dataclass(frozen=True)
class Narrowing:
    """A paginated list's cheaper total and search, in two steps so that its SQL is built once
    per shape. `plan(filter values)`, each request: None for the plain way, else a shape key (what
    the SQL depends on besides the filters' names and the sort) and the values of the placeholders
    it adds. `build(filter names, sort, caller, the list's conditions)`, once per shape: the
    Narrowed, with the filters' values as their `f_<name>` placeholders (a count's sort: any)."""

    plan: Callable[[dict[str, Any]], tuple[Hashable, dict[str, Any]] | None]
    build: Callable[[frozenset[str], str | None, Caller, list[ColumnElement[bool]]], Narrowed]


@dataclass(frozen=True)
class Hooks:
    """Optional per-resource behaviour beyond plain CRUD."""

    # Add computed or nested fields to loaded items (one query per batch, not per item).
    enrich: EnrichFn | None = None
    # Validate or transform the column values about to be written; gets the current item on PUT.
    before_write: BeforeWriteFn | None = None
    # Runs after a successful create, in the same transaction, with the app's Settings (e.g.
    # notify and queue e-mails).
    after_create: AfterWriteFn | None = None
    # Tried first on POST: the happy path in one round trip; anything else (an error to report,
    # a caller to refuse) answers None and the route runs as declared.
    quick_create: QuickCreateFn | None = None
    # Paginated lists: a cheaper total and search for the filters it serves (e.g. kept counts).
    narrow: Narrowing | None = None
    # Runs before a delete, in its transaction, with the item (locked): may refuse it by raising.
    before_delete: BeforeDeleteFn | None = None


@dataclass(frozen=True)
class Resource:
    """What the router factory builds one resource's routes from. `create`/`update`: request
    bodies (None: no such operation). `filters`: list arguments, `x` equality, `in_x` substring,
    `x_min`/`x_max` bounds, unless `custom_filters` names it; `refs`: a filter's model, checked
    readable first (403 rather than an empty list). `immutable` fields may not change on PUT."""

    path: str
    model: type[Any]
    read: type[BaseModel]
    tag: str
    name: str
    create: type[BaseModel] | None = None
    update: type[BaseModel] | None = None
    filters: type[BaseModel] | None = None
    sort: tuple[str, ...] = ()
    etag: bool = True
    # Whether PUT and DELETE need If-Match; by default when the resource has ETags.
    if_match: bool | None = None
    paginate: bool = False
    list: bool = True
    get: bool = True
    delete: bool = True
    custom_filters: Mapping[str, FilterFn] = field(default_factory=dict)
    # Whether the custom filters take their value as a placeholder (they only compare it): the
    # lists using them are then built once per shape, like the plain filters' lists, though still
    # planned for each request's values.
    placeholder_filters: bool = False
    refs: Mapping[str, type[Any]] = field(default_factory=dict)
    immutable: tuple[str, ...] = ()
    hooks: Hooks = Hooks()
    summary: str | None = None

    @property
    def needs_if_match(self) -> bool:
        return self.etag if self.if_match is None else self.if_match

    @property
    def plural(self) -> str:
        return self.path.strip("/").replace("/", "_")
