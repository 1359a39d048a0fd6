"""Read-only nested documents (`event`, `timeseries`...) of link and notification items: enrich hooks."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from bemserver.crud.resource import EnrichFn, Item
from bemserver.db.engine import Reader
from bemserver.http.responses import drop_none


def nested(model: type[Any], document: type[BaseModel], key: str, name: str) -> EnrichFn:
    """An enrich hook: each item's `<name>` is the `document` fields of the `model` row whose id
    is the item's `key`; one query per list."""
    columns = [getattr(model, field) for field in document.model_fields]

    async def enrich(session: Reader, items: list[Item]) -> None:
        ids = {item[key] for item in items}
        rows = await session.execute(select(model.id.label("_key"), *columns).where(model.id.in_(ids)))
        found = {
            row["_key"]: drop_none({k: v for k, v in row.items() if k != "_key"}) for row in rows.mappings()
        }
        for item in items:
            if item[key] in found:
                item[name] = found[item[key]]

    return enrich


def both(*hooks: EnrichFn) -> EnrichFn:
    async def enrich(session: Reader, items: list[Item]) -> None:
        for hook in hooks:
            await hook(session, items)

    return enrich
