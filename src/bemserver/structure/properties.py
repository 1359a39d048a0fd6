"""Hooks of the element property resources: nested property documents and value type checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.crud import Hooks
from bemserver.crud.resource import Item
from bemserver.db.engine import Reader
from bemserver.db.types import valid_property_value
from bemserver.http.errors import Unprocessable
from bemserver.http.responses import drop_none
from bemserver.structure.models import StructuralElementProperty as SEP

INVALID_TYPE = {"json": {"value": ["Invalid type."]}}
NESTED_COLUMNS = (SEP.id, SEP.name, SEP.value_type, SEP.unit_symbol, SEP.description)


def _nested(row: Any) -> dict[str, Any]:
    return drop_none(
        {
            "name": row.name,
            "value_type": row.value_type,
            "unit_symbol": row.unit_symbol,
            "description": row.description,
        }
    )


async def _properties_by_id(session: Reader, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{structural element property id: its nested document}, in one query."""
    rows = await session.execute(select(*NESTED_COLUMNS).where(SEP.id.in_(set(ids))))
    return {row.id: _nested(row) for row in rows}


async def _add_structural_element_property(session: Reader, items: list[Item]) -> None:
    found = await _properties_by_id(session, (item["structural_element_property_id"] for item in items))
    for item in items:
        item["structural_element_property"] = found.get(item["structural_element_property_id"])


def element_property_hooks() -> Hooks:
    """<elem>_properties: each item carries its structural element property, read-only."""
    return Hooks(enrich=_add_structural_element_property)


def property_data_hooks(element: str, element_property: type[Any]) -> Hooks:
    """<elem>_property_data: the nested <elem>_property, and values checked against its value type."""
    key, nested = f"{element}_property_id", f"{element}_property"

    async def enrich(session: Reader, items: list[Item]) -> None:
        rows = await session.execute(
            select(element_property.id.label("link_id"), *NESTED_COLUMNS)
            .join(SEP, element_property.structural_element_property_id == SEP.id)
            .where(element_property.id.in_({item[key] for item in items}))
        )
        found = {
            row.link_id: {
                "structural_element_property": _nested(row),
                "structural_element_property_id": row.id,
            }
            for row in rows
        }
        for item in items:
            item[nested] = found.get(item[key])

    async def check_value(session: AsyncSession, _: Caller, values: Item, __: Item | None) -> Item:
        value_type = await session.scalar(
            select(SEP.value_type)
            .join(element_property, element_property.structural_element_property_id == SEP.id)
            .where(element_property.id == values[key])
        )
        # An unknown property is left to the foreign key (409).
        if value_type is not None and not valid_property_value(value_type, values["value"]):
            raise Unprocessable(errors=INVALID_TYPE)
        return values

    return Hooks(enrich=enrich, before_write=check_value)
