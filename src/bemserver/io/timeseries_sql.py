"""Set-based SQL of the timeseries import: a fixed number of statements, whatever the file's length.

Lists travel as PostgreSQL arrays and come back as rows through `unnest` (sites_sql.unnest_rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Text, any_, bindparam, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.campaigns.models import CampaignScope
from bemserver.io.sites_sql import unnest_rows
from bemserver.timeseries.models import Timeseries, TimeseriesProperty


def _among(column: Any, values: Sequence[Any] | set[Any], kind: Any) -> Any:
    """column = ANY(:array): one parameter however many values (IN (...) takes one per value)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(kind)))


async def properties_named(session: AsyncSession, names: Sequence[str]) -> dict[str, tuple[int, str]]:
    """{name: (timeseries property id, value type)} of the properties that exist among `names`."""
    if not names:
        return {}
    prop = TimeseriesProperty
    rows = await session.execute(
        select(prop.name, prop.id, prop.value_type).where(_among(prop.name, names, Text))
    )
    return {name: (id_, value_type) for name, id_, value_type in rows}


async def scopes_named(session: AsyncSession, campaign_id: int, names: set[str]) -> dict[str, int]:
    """{name: id} of the campaign's scopes among `names`."""
    rows = await session.execute(
        select(CampaignScope.name, CampaignScope.id).where(
            CampaignScope.campaign_id == campaign_id, _among(CampaignScope.name, names, Text)
        )
    )
    return {name: id_ for name, id_ in rows}


async def timeseries_named(
    session: AsyncSession, campaign_id: int, names: set[str]
) -> dict[str, tuple[int, int, str]]:
    """{name: (id, campaign scope id, campaign scope name)} of the campaign's timeseries among `names`."""
    rows = await session.execute(
        select(Timeseries.name, Timeseries.id, CampaignScope.id, CampaignScope.name)
        .join(CampaignScope, CampaignScope.id == Timeseries.campaign_scope_id)
        .where(Timeseries.campaign_id == campaign_id, _among(Timeseries.name, names, Text))
    )
    return {name: (id_, scope_id, scope_name) for name, id_, scope_id, scope_name in rows}


async def insert_timeseries(
    session: AsyncSession, campaign_id: int, rows: Sequence[tuple[str, int, str | None, str]]
) -> dict[str, int]:
    """Insert (name, campaign scope id, description, unit) rows in the campaign; {name: new id}."""
    if not rows:
        return {}
    table = Timeseries.__table__
    names, scope_ids, descriptions, units = zip(*rows, strict=True)
    given = unnest_rows(
        name=(names, Text),
        scope_id=(scope_ids, Integer),
        description=(descriptions, Text),
        unit=(units, Text),
    )
    statement = (
        insert(table)
        .from_select(
            ["campaign_id", "name", "campaign_scope_id", "description", "unit_symbol"],
            select(
                bindparam("campaign_id", campaign_id, type_=Integer),
                given.c.name,
                given.c.scope_id,
                given.c.description,
                given.c.unit,
            ),
        )
        .returning(table.c.name, table.c.id)
    )
    return {name: id_ for name, id_ in await session.execute(statement)}


async def update_timeseries(session: AsyncSession, rows: Sequence[tuple[int, str | None, str]]) -> None:
    """Set (id, description, unit) of existing timeseries; unchanged rows are not rewritten."""
    if not rows:
        return
    table = Timeseries.__table__
    ids, descriptions, units = zip(*rows, strict=True)
    given = unnest_rows(id=(ids, Integer), description=(descriptions, Text), unit=(units, Text))
    statement = (
        update(table)
        .values(description=given.c.description, unit_symbol=given.c.unit)
        .where(
            table.c.id == given.c.id,
            tuple_(table.c.description, table.c.unit_symbol).is_distinct_from(
                tuple_(given.c.description, given.c.unit)
            ),
        )
    )
    await session.execute(statement)


async def replace_links(
    session: AsyncSession,
    link: type[Any],
    element_fk: str,
    timeseries_ids: Sequence[int],
    pairs: Sequence[tuple[int, int]],
) -> None:
    """Make (timeseries id, element id) `pairs` (one per timeseries) the only links of these
    timeseries in `link`: links that stay keep their ids, others are deleted, missing ones added."""
    table = link.__table__
    element = table.c[element_fk]
    wanted = unnest_rows(
        timeseries_id=([ts for ts, _ in pairs], Integer), element_id=([el for _, el in pairs], Integer)
    )
    stale = (
        delete(table)
        .where(_among(table.c.timeseries_id, timeseries_ids, Integer))
        .where(
            ~select(wanted.c.timeseries_id)
            .where(wanted.c.timeseries_id == table.c.timeseries_id, wanted.c.element_id == element)
            .exists()
        )
    )
    await session.execute(stale)
    if pairs:
        # Only the missing ones: ON CONFLICT would use up an id of the sequence per existing link.
        present = (
            select(table.c.id)
            .where(table.c.timeseries_id == wanted.c.timeseries_id, element == wanted.c.element_id)
            .exists()
        )
        added = insert(table).from_select(
            ["timeseries_id", element_fk],
            select(wanted.c.timeseries_id, wanted.c.element_id).where(~present),
        )
        await session.execute(added)
