"""Set-based SQL of the building-model import: lists travel as arrays (`unnest`), so looking up or
upserting 10,000 rows is one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Text, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import TableValuedAlias

from bemserver.structure.models import StructuralElementProperty

Key = tuple[int, str]  # (parent id, name): an element's identity


def unnest_rows(**columns: tuple[Sequence[Any], Any]) -> TableValuedAlias:
    """unnest(:a, :b, ...) AS rows(a, b, ...): parallel Python lists as a table."""
    arrays = [bindparam(None, list(values), type_=ARRAY(kind)) for values, kind in columns.values()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name="rows")


async def find_ids(session: AsyncSession, model: type[Any], parent_fk: str, keys: set[Key]) -> dict[Key, int]:
    """{(parent id, name): id} of the elements that exist among `keys`."""
    if not keys:
        return {}
    table = model.__table__
    parent_ids, names = zip(*keys, strict=True)
    rows = unnest_rows(parent_id=(parent_ids, Integer), name=(names, Text))
    statement = select(table.c.id, table.c[parent_fk], table.c.name).join(
        rows, (table.c[parent_fk] == rows.c.parent_id) & (table.c.name == rows.c.name)
    )
    return {(parent_id, name): id_ for id_, parent_id, name in await session.execute(statement)}


async def enabled_properties(
    session: AsyncSession, enabled: type[Any], names: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """{property name: (id of its <element>_properties row, value type)} for the names enabled there."""
    if not names:
        return {}
    prop = StructuralElementProperty
    statement = (
        select(prop.name, enabled.id, prop.value_type)
        .join(enabled, enabled.structural_element_property_id == prop.id)
        .where(prop.name.in_(list(names)))
    )
    return {name: (link_id, value_type) for name, link_id, value_type in await session.execute(statement)}


async def upsert_elements(
    session: AsyncSession,
    model: type[Any],
    parent_fk: str,
    elements: Sequence[tuple[int, str, str | None, str | None]],
) -> dict[Key, int]:
    """Insert or update (parent id, name, description, ifc_id) rows; {(parent id, name): id}."""
    if not elements:
        return {}
    table = model.__table__
    parent_ids, names, descriptions, ifc_ids = zip(*elements, strict=True)
    rows = unnest_rows(
        parent_id=(parent_ids, Integer),
        name=(names, Text),
        description=(descriptions, Text),
        ifc_id=(ifc_ids, Text),
    )
    statement = insert(table).from_select(
        [parent_fk, "name", "description", "ifc_id"],
        select(rows.c.parent_id, rows.c.name, rows.c.description, rows.c.ifc_id),
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        # Names are unique per parent regardless of case (migration 0015): the index on lower(name).
        index_elements=[table.c[parent_fk], func.lower(table.c.name)],
        set_={"description": excluded.description, "ifc_id": excluded.ifc_id},
        # Unchanged rows are not rewritten (a re-import of the same file writes nothing)...
        where=tuple_(table.c.description, table.c.ifc_id).is_distinct_from(
            tuple_(excluded.description, excluded.ifc_id)
        ),
    ).returning(table.c.id, table.c[parent_fk], table.c.name)
    ids = {(parent_id, name): id_ for id_, parent_id, name in await session.execute(statement)}
    # ...so they are not returned either: look them up.
    unchanged = {(parent_id, name) for parent_id, name, *_ in elements} - ids.keys()
    return ids | await find_ids(session, model, parent_fk, unchanged)


async def upsert_values(
    session: AsyncSession,
    model: type[Any],
    element_fk: str,
    property_fk: str,
    values: Sequence[tuple[int, int, str]],
) -> None:
    """Insert or update (element id, <element>_properties id, value) rows of a property data table."""
    if not values:
        return
    table = model.__table__
    element_ids, property_ids, texts = zip(*values, strict=True)
    rows = unnest_rows(
        element_id=(element_ids, Integer), property_id=(property_ids, Integer), value=(texts, Text)
    )
    statement = insert(table).from_select(
        [element_fk, property_fk, "value"], select(rows.c.element_id, rows.c.property_id, rows.c.value)
    )
    statement = statement.on_conflict_do_update(
        index_elements=[element_fk, property_fk],
        set_={"value": statement.excluded.value},
        where=table.c.value != statement.excluded.value,
    )
    await session.execute(statement)
