"""Selecting timeseries for a data operation: by id, or by name within a campaign, in a data state.
`resolve` checks in the reference's order: the campaign (404, 403) for names, unknown timeseries
(422), permission (403), unknown data state (422); duplicates dropped, request order kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Select, any_, bindparam, select, text

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign
from bemserver.db.engine import Reader
from bemserver.db.prepared import Shapes
from bemserver.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from bemserver.http.fields import is_database_id
from bemserver.permissions import read_filter, sql_caller
from bemserver.timeseries.models import Timeseries
from bemserver.timeseries.rules import timeseries_data_filter
from bemserver.timeseries_data.params import scale

Key = int | str  # a timeseries id, or a name within a campaign


@dataclass(frozen=True, slots=True)
class Selection:
    """Timeseries ids, or names when `campaign_id` is given (duplicates may repeat), in a data state."""

    timeseries: Sequence[Key]
    data_state: int
    campaign_id: int | None = None

    @property
    def by_name(self) -> bool:
        return self.campaign_id is not None


@dataclass(frozen=True, slots=True)
class SelectedTimeseries:
    id: int
    name: str
    unit_symbol: str


@dataclass(frozen=True, slots=True)
class SeriesColumn:
    """One timeseries of an answer: its label, its stored series (None: never written in that data
    state) and the linear conversion of its values (value * scale + offset)."""

    label: str
    series_id: int | None
    scale: float = 1.0
    offset: float = 0.0

    @property
    def converted(self) -> bool:
        return (self.scale, self.offset) != (1.0, 0.0)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A checked selection: its timeseries (unique, in request order) and their stored series."""

    selection: Selection
    timeseries: list[SelectedTimeseries]
    series: dict[int, int]  # timeseries id -> stored series id; absent: no series in the data state

    def key(self, timeseries: SelectedTimeseries) -> Key:
        return timeseries.name if self.selection.by_name else timeseries.id

    def label(self, timeseries: SelectedTimeseries) -> str:
        return timeseries.name if self.selection.by_name else str(timeseries.id)

    def columns(
        self, targets: Mapping[Any, str] | None = None, *, unitless: bool = False
    ) -> list[SeriesColumn]:
        """One column per timeseries, converted to its target unit ('' or absent: none). A
        `unitless` value (a count) converts only to dimensionless units."""
        columns = []
        for ts in self.timeseries:
            target = (targets or {}).get(self.key(ts), "")
            source = "" if unitless else ts.unit_symbol
            columns.append(SeriesColumn(self.label(ts), self.series.get(ts.id), *scale(source, target)))
        return columns


async def require_readable_campaign(connection: Reader, caller: Caller, campaign_id: int) -> None:
    """404 for an unknown campaign, 403 for one the caller may not read."""
    row = (
        await connection.execute(
            select(read_filter(Campaign, caller).label("allowed")).where(Campaign.id == campaign_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    if not row.allowed:
        raise Forbidden()


def _storable(value: object) -> bool:
    """Whether a column could hold it: ids are int4, text cannot hold NUL. Others are just unknown."""
    if isinstance(value, int):
        return is_database_id(value)
    return "\x00" not in str(value)


_SELECTIONS = Shapes()


def timeseries_query(key: Any, by_campaign: bool, caller: Caller) -> Select[Any]:
    """Timeseries whose `key` column is one of the :wanted, with whether the caller may read or
    write their points (`allowed`)."""
    statement = select(
        Timeseries.id,
        Timeseries.name,
        Timeseries.unit_symbol,
        timeseries_data_filter(caller).label("allowed"),
    ).where(key == any_(bindparam("wanted", type_=ARRAY(key.type))))
    if by_campaign:
        statement = statement.where(Timeseries.campaign_id == bindparam("campaign_id"))
    return statement


def query_values(caller: Caller, wanted: list[Any], campaign_id: int | None) -> dict[str, Any]:
    """The values of timeseries_query's placeholders."""
    return {
        "caller_id": caller.id,
        "wanted": [value for value in wanted if _storable(value)],
        "campaign_id": campaign_id,
    }


def check_selected(wanted: list[Any], allowed: dict[Any, bool]) -> None:
    """422 naming the unknown timeseries, else 403 if any may not be read or written."""
    missing = [value for value in wanted if value not in allowed]
    if missing:
        raise Unprocessable(f"Unknown timeseries: {missing!r}")
    if not all(allowed[value] for value in wanted):
        raise Forbidden()


async def select_timeseries(
    connection: Reader, caller: Caller, selection: Selection
) -> list[SelectedTimeseries]:
    """The selection's timeseries, unique, in request order (422 unknown, 403 not allowed). The
    campaign itself is not checked here (see resolve)."""
    key = Timeseries.name if selection.by_name else Timeseries.id
    wanted = list(dict.fromkeys(selection.timeseries))
    prepared = _SELECTIONS.get(
        (key.key, selection.by_name, caller.is_admin),
        lambda: timeseries_query(key, selection.by_name, sql_caller(caller)),
    )
    assert prepared is not None
    found = await prepared.rows(connection, query_values(caller, wanted, selection.campaign_id))
    rows = {row[key.key]: row for row in found}
    check_selected(wanted, {value: row["allowed"] for value, row in rows.items()})
    return [SelectedTimeseries(rows[v]["id"], rows[v]["name"], rows[v]["unit_symbol"]) for v in wanted]


SERIES_ATTEMPTS = 4
_UNKNOWN_STATE = {"query": {"data_state": "Unknown data state ID"}}

# Rows: (0, NULL, NULL) when the data state exists, then (1, timeseries id, series id) per series.
_STATE_SERIES = text("""
WITH state AS (SELECT id FROM timeseries_data_states WHERE id = :ds),
existing AS (
    SELECT timeseries_id, id FROM timeseries_by_data_states
    WHERE data_state_id = :ds AND timeseries_id = ANY(CAST(:ts AS int[]))
)
SELECT 0 AS found, NULL::int AS timeseries_id, NULL::int AS id WHERE EXISTS (SELECT 1 FROM state)
UNION ALL SELECT 1, timeseries_id, id FROM existing
""")

# The same, creating the missing series and locking them all FOR KEY SHARE: the points table has no
# foreign key (3 times slower COPY), so this keeps a concurrent delete from leaving orphan points.
_STATE_SERIES_CREATED = text("""
WITH state AS (SELECT id FROM timeseries_data_states WHERE id = :ds),
existing AS (
    SELECT timeseries_id, id FROM timeseries_by_data_states
    WHERE data_state_id = :ds AND timeseries_id = ANY(CAST(:ts AS int[])) FOR KEY SHARE
),
created AS (
    INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id)
    SELECT t, state.id FROM unnest(CAST(:ts AS int[])) AS t CROSS JOIN state
    ON CONFLICT DO NOTHING RETURNING timeseries_id, id
)
SELECT 0 AS found, NULL::int AS timeseries_id, NULL::int AS id WHERE EXISTS (SELECT 1 FROM state)
UNION ALL SELECT 1, timeseries_id, id FROM existing
UNION ALL SELECT 1, timeseries_id, id FROM created
""")


async def data_state_series(
    connection: Reader, timeseries_ids: list[int], data_state_id: int, *, create: bool = False
) -> dict[int, int]:
    """Timeseries id -> stored series id in the data state (422 if unknown), in one round trip;
    `create` adds the missing series (in the caller's transaction)."""
    if not is_database_id(data_state_id):
        raise Unprocessable(errors=_UNKNOWN_STATE)
    statement = _STATE_SERIES_CREATED if create else _STATE_SERIES
    for _ in range(SERIES_ATTEMPTS):
        rows = (await connection.execute(statement, {"ds": data_state_id, "ts": timeseries_ids})).all()
        if not any(row.found == 0 for row in rows):
            raise Unprocessable(errors=_UNKNOWN_STATE)
        found = {row.timeseries_id: row.id for row in rows if row.found == 1}
        if not create or len(found) == len(set(timeseries_ids)):
            return found
        # A concurrent request created some series after this statement's snapshot (its INSERT
        # skipped them, its SELECT did not see them): look again, with a newer snapshot.
    raise Conflict("Concurrent writes to the same series: please try again")


async def resolve(connection: Reader, caller: Caller, selection: Selection) -> Resolved:
    """The selection checked (campaign, timeseries, permission, data state) with its series."""
    if selection.campaign_id is not None:
        await require_readable_campaign(connection, caller, selection.campaign_id)
    timeseries = await select_timeseries(connection, caller, selection)
    series = await data_state_series(connection, [ts.id for ts in timeseries], selection.data_state)
    return Resolved(selection, timeseries, series)
