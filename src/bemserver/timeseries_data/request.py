"""Resolving what a data request names: timeseries (by id or by name), data state, campaign.

Order of checks, as the reference: unknown timeseries (422), then permission (403), then
unknown data state (422). Duplicates are dropped; the request order is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Select, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign
from bemserver.db.engine import Reader
from bemserver.db.prepared import Prepared, Shapes
from bemserver.http.errors import Forbidden, NotFound, Unprocessable
from bemserver.http.fields import is_database_id
from bemserver.permissions import read_filter, sql_caller, timeseries_data_filter
from bemserver.timeseries.models import Timeseries, TimeseriesByDataState, TimeseriesDataState


@dataclass(frozen=True, slots=True)
class SelectedTimeseries:
    id: int
    name: str
    unit_symbol: str


def _storable(value: object) -> bool:
    """Whether a column could hold it: ids are int4, text cannot hold NUL. Others are just unknown."""
    if isinstance(value, int):
        return is_database_id(value)
    return "\x00" not in str(value)


def _unique(values: list[object]) -> list[object]:
    return list(dict.fromkeys(values))


_SELECTIONS = Shapes()


def _selection(key: Any, by_campaign: bool, caller: Caller) -> Select[Any]:
    statement = select(
        Timeseries.id,
        Timeseries.name,
        Timeseries.unit_symbol,
        timeseries_data_filter(caller).label("allowed"),
    ).where(key == any_(bindparam("wanted", type_=ARRAY(key.type))))
    if by_campaign:
        statement = statement.where(Timeseries.campaign_id == bindparam("campaign_id"))
    return statement


def _prepared_selection(
    caller: Caller, key: Any, wanted: list[Any], campaign_id: int | None
) -> tuple[Prepared, dict[str, Any]]:
    """The selection's statement, prepared once per shape, and this request's values for it."""
    by_campaign = campaign_id is not None
    prepared = _SELECTIONS.get(
        (key.key, by_campaign, caller.is_admin),
        lambda: _selection(key, by_campaign, sql_caller(caller)),
    )
    assert prepared is not None
    values = {
        "caller_id": caller.id,
        "wanted": [value for value in wanted if _storable(value)],
        "campaign_id": campaign_id,
    }
    return prepared, values


async def _select(
    session: Reader, caller: Caller, key: Any, wanted: list[Any], campaign_id: int | None
) -> list[SelectedTimeseries]:
    prepared, values = _prepared_selection(caller, key, wanted, campaign_id)
    rows = {row[key.key]: row for row in await prepared.rows(session, values)}
    check_selected(wanted, {value: row["allowed"] for value, row in rows.items()})
    return [SelectedTimeseries(rows[v]["id"], rows[v]["name"], rows[v]["unit_symbol"]) for v in wanted]


def check_selected(wanted: list[Any], allowed: dict[Any, bool]) -> None:
    """422 naming the unknown timeseries, else 403 if any may not be read or written."""
    missing = [value for value in wanted if value not in allowed]
    if missing:
        raise Unprocessable(f"Unknown timeseries: {missing!r}")
    if not all(allowed[value] for value in wanted):
        raise Forbidden()


def ids_selection(caller: Caller, ids: list[int]) -> tuple[Prepared, dict[str, Any], list[int]]:
    """The prepared selection of timeseries by id (SQL, its values) and the unique ids wanted, for
    a statement that checks them itself (see points.write_small)."""
    wanted: list[Any] = _unique(list(ids))
    prepared, values = _prepared_selection(caller, Timeseries.id, wanted, None)
    return prepared, prepared.constants | values, wanted


async def timeseries_by_ids(
    session: AsyncSession, caller: Caller, ids: list[int]
) -> list[SelectedTimeseries]:
    return await _select(session, caller, Timeseries.id, _unique(list(ids)), None)


async def timeseries_by_names(
    session: AsyncSession, caller: Caller, campaign_id: int, names: list[str]
) -> list[SelectedTimeseries]:
    return await _select(session, caller, Timeseries.name, _unique(list(names)), campaign_id)


async def check_campaign(session: AsyncSession, caller: Caller, campaign_id: int) -> str:
    """404 for an unknown campaign, 403 for a non-member; returns the campaign's timezone."""
    row = (
        await session.execute(
            select(Campaign.timezone, read_filter(Campaign, caller).label("allowed")).where(
                Campaign.id == campaign_id
            )
        )
    ).first()
    if row is None:
        raise NotFound()
    if not row.allowed:
        raise Forbidden()
    return str(row.timezone)


async def check_data_state(session: AsyncSession, data_state_id: int) -> None:
    found = await session.scalar(
        select(TimeseriesDataState.id).where(TimeseriesDataState.id == data_state_id)
    )
    if found is None:
        raise Unprocessable(errors={"query": {"data_state": "Unknown data state ID"}})


async def series_ids(
    session: AsyncSession, timeseries_ids: list[int], data_state_id: int, *, create: bool = False
) -> dict[int, int]:
    """Map timeseries id -> stored series id for a data state; `create` adds missing series.

    With `create` (writes), the series rows are also locked FOR KEY SHARE until the transaction
    ends: the points table has no foreign key (it would slow COPY down threefold), so this is
    what keeps a concurrent delete of the timeseries from leaving orphan points behind.
    """
    if create and timeseries_ids:
        await session.execute(
            pg_insert(TimeseriesByDataState)
            .values([{"timeseries_id": ts, "data_state_id": data_state_id} for ts in timeseries_ids])
            .on_conflict_do_nothing()
        )
    statement = select(TimeseriesByDataState.timeseries_id, TimeseriesByDataState.id).where(
        TimeseriesByDataState.timeseries_id.in_(timeseries_ids),
        TimeseriesByDataState.data_state_id == data_state_id,
    )
    if create:
        statement = statement.with_for_update(key_share=True)
    rows = await session.execute(statement)
    return {timeseries_id: series_id for timeseries_id, series_id in rows}


_STATE_SERIES = """
WITH state AS (SELECT id FROM timeseries_data_states WHERE id = :ds),
existing AS (
    SELECT timeseries_id, id FROM timeseries_by_data_states
    WHERE data_state_id = :ds AND timeseries_id = ANY(CAST(:ts AS int[])){lock}
){create}
SELECT 0 AS found, NULL::int AS timeseries_id, NULL::int AS id WHERE EXISTS (SELECT 1 FROM state)
UNION ALL SELECT 1, timeseries_id, id FROM existing{created}
"""

_CREATE = """,
created AS (
    INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id)
    SELECT t, state.id FROM unnest(CAST(:ts AS int[])) AS t CROSS JOIN state
    ON CONFLICT DO NOTHING RETURNING timeseries_id, id
)"""


async def data_state_series(
    session: AsyncSession, timeseries_ids: list[int], data_state_id: int, *, create: bool = False
) -> dict[int, int]:
    """check_data_state and series_ids in one round trip (the hot path of small writes)."""
    if not is_database_id(data_state_id):
        raise Unprocessable(errors={"query": {"data_state": "Unknown data state ID"}})
    statement = text(
        _STATE_SERIES.format(
            lock=" FOR KEY SHARE" if create else "",
            create=_CREATE if create else "",
            created=" UNION ALL SELECT 1, timeseries_id, id FROM created" if create else "",
        )
    )
    for _ in range(2):
        rows = (await session.execute(statement, {"ds": data_state_id, "ts": timeseries_ids})).all()
        if not any(row.found == 0 for row in rows):
            raise Unprocessable(errors={"query": {"data_state": "Unknown data state ID"}})
        found = {row.timeseries_id: row.id for row in rows if row.found == 1}
        if not create or len(found) == len(set(timeseries_ids)):
            break
        # A concurrent request created some series after this statement's snapshot: look again.
    return found
