"""A Resource declares one collection (/x/) and item (/x/{item_id}) pair of routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.db.engine import Reader
from bemserver.settings import Settings

Item = dict[str, Any]
FilterFn = Callable[[Any], ColumnElement[bool]]
EnrichFn = Callable[[Reader, list[Item]], Awaitable[None]]
BeforeWriteFn = Callable[[AsyncSession, Caller, Item, Item | None], Awaitable[Item]]
AfterWriteFn = Callable[[AsyncSession, Caller, Item, Settings], Awaitable[None]]


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


@dataclass(frozen=True)
class Resource:
    """Small declaration from which the router factory builds all routes of one resource.

    `read` gives the output fields in order; `create`/`update` are request bodies (None switches
    the operation off). `filters` is a Pydantic model of list query arguments whose names follow
    the conventions: `x` equality, `in_x` substring, `x_min`/`x_max` bounds; `custom_filters`
    overrides a name with an expression. `refs` maps a filter to the model whose readability is
    checked first (403 rather than an empty list). `immutable` fields may not change on PUT.
    """

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
