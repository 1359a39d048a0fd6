"""Timeseries data as numbers, for Python code (analyses, background jobs): no HTTP involved.

`bucketed`, `points` and `stats` answer what GET /timeseries_data/aggregate, / and /stats answer,
from the same queries, with the same checks (a system task passes an admin caller), on the given
connection or session (seeing its uncommitted writes). An empty bucket is None (0 for a count);
where the JSON answer shows null for an infinite sum or average, these give the infinity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bemserver.auth.caller import Caller
from bemserver.db.engine import Reader
from bemserver.timeseries_data import aggregate
from bemserver.timeseries_data.aggregate import Aggregation
from bemserver.timeseries_data.buckets import FIXED_SECONDS, BucketUnit, FixedGrid, Grid
from bemserver.timeseries_data.export import column_points
from bemserver.timeseries_data.params import unit_targets
from bemserver.timeseries_data.rollups import refresh_on
from bemserver.timeseries_data.selection import Key, Resolved, Selection, resolve
from bemserver.timeseries_data.stats import Stats, series_stats

Number = float | int | None


@dataclass(frozen=True, slots=True)
class Bucketing:
    """The bucket grid covering [start, end): buckets of `width` `unit`s (width 1 for calendar
    units) whose bounds fall on `timezone`'s wall clock, as the aggregate routes' parameters."""

    start: datetime
    end: datetime
    width: int = 1
    unit: BucketUnit = BucketUnit.HOUR
    timezone: str = "UTC"


@dataclass(frozen=True)
class Buckets:
    """Bucket k covers [starts[k], starts[k + 1]) (the last one ends at `end`), in the grid's
    timezone; `values`: per timeseries (by id, or by name), in order, one number per bucket.
    `bounds` gives the same instants as Unix seconds (count + 1 of them), without making datetimes."""

    grid: Grid
    timezone: str
    values: dict[Key, list[Number]]
    names: dict[Key, str] = field(default_factory=dict)  # each timeseries' name, by the same keys

    @cached_property
    def starts(self) -> list[datetime]:
        tz = ZoneInfo(self.timezone)
        return [self.grid.start(k).astimezone(tz) for k in range(self.grid.count)]

    @property
    def end(self) -> datetime:
        return self.grid.end.astimezone(ZoneInfo(self.timezone))

    @cached_property
    def bounds(self) -> list[float]:
        grid = self.grid
        if isinstance(grid, FixedGrid):
            anchor, width = grid.anchor.timestamp(), grid.width.total_seconds()
            return [anchor + k * width for k in range(grid.count + 1)]
        return [bound.timestamp() for bound in grid.bounds]


@dataclass(frozen=True, slots=True)
class Points:
    """A timeseries' points in time order (timestamps in the connection's TimeZone: UTC here)."""

    timestamps: list[datetime]
    values: list[float]


async def bucketed(
    connection: Reader,
    caller: Caller,
    selection: Selection,
    grid: Bucketing,
    aggregation: Aggregation = Aggregation.AVG,
    *,
    convert_to: Sequence[str] | None = None,
) -> Buckets:
    """The aggregate of each bucket of each selected timeseries (ids as ints, or names). `convert_to`: one unit per
    requested timeseries ('' = none), as the routes' parameter. Errors (http.errors): 404/403
    campaign, 422 unknown timeseries, data state, bucket width, too many buckets or units, 403."""
    aggregate.check_bucket_width(grid.width, grid.unit)
    targets = unit_targets(selection.timeseries, convert_to)
    resolved = await resolve(connection, caller, selection)
    columns = resolved.columns(targets, unitless=aggregation is Aggregation.COUNT)
    made = aggregate.bucket_grid(grid.start, grid.end, grid.timezone, grid.width, grid.unit, len(columns))
    query = aggregate.Query(columns, made, aggregation, grid.timezone)
    level = aggregate.source_level(made)
    if level is not None:
        await refresh_on(connection, [column.series_id for column in columns if column.series_id is not None])
    values = await aggregate.numbers(connection, query, level)
    return Buckets(
        made,
        grid.timezone,
        {resolved.key(ts): column for ts, column in zip(resolved.timeseries, values, strict=True)},
        {resolved.key(ts): ts.name for ts in resolved.timeseries},
    )


@dataclass(frozen=True, slots=True)
class LocalDay:
    """The non-empty buckets of a timeseries whose start falls on one local date: how many, their
    extreme values and the sum of their shortfalls max(sign x (threshold - value), 0)."""

    day: date
    count: int
    low: float
    high: float
    shortfall: float


async def local_days(
    connection: Reader,
    caller: Caller,
    selection: Selection,
    grid: Bucketing,
    aggregation: Aggregation = Aggregation.AVG,
    *,
    threshold: float = 0.0,
    below: bool = True,
    convert_to: Sequence[str] | None = None,
    resolved: Resolved | None = None,
) -> dict[Key, list[LocalDay]]:
    """`bucketed`'s values (fixed units only: seconds, minutes, hours) summed up per local date of
    the grid's timezone, in SQL: one row per day with data, in date order. `below`: shortfalls
    under the threshold (heating degree hours, for hourly means), else excesses over it.
    `resolved`: the selection as the caller already checked it (selection.Resolved), saving its
    two queries."""
    aggregate.check_bucket_width(grid.width, grid.unit)
    if grid.unit not in FIXED_SECONDS:
        raise ValueError("local_days needs a fixed bucket width")
    targets = unit_targets(selection.timeseries, convert_to)
    if resolved is None:
        resolved = await resolve(connection, caller, selection)
    columns = resolved.columns(targets, unitless=aggregation is Aggregation.COUNT)
    made = aggregate.bucket_grid(grid.start, grid.end, grid.timezone, grid.width, grid.unit, len(columns))
    query = aggregate.Query(columns, made, aggregation, grid.timezone)
    level = aggregate.source_level(made)
    if level is not None:
        await refresh_on(connection, [column.series_id for column in columns if column.series_id is not None])
    params = aggregate.chunk_params(query, columns, 0, made.count) | {
        "tz": grid.timezone,
        "threshold": threshold,
        "sign": 1.0 if below else -1.0,
    }
    found: dict[Key, list[LocalDay]] = {}
    for position, (ts, column) in enumerate(zip(resolved.timeseries, columns, strict=True)):
        days: list[LocalDay] = []
        if column.series_id is not None and made.count:
            rows = await connection.execute(
                text(aggregate.local_days_sql(query, level, position, column)), params
            )
            days = [LocalDay(*row) for row in rows]
        found[resolved.key(ts)] = days
    return found


async def points(
    connection: Reader,
    caller: Caller,
    selection: Selection,
    start: datetime,
    end: datetime,
    *,
    convert_to: Sequence[str] | None = None,
) -> dict[Key, Points]:
    """The points in [start, end) of each selected timeseries (empty for one without any)."""
    targets = unit_targets(selection.timeseries, convert_to)
    resolved = await resolve(connection, caller, selection)
    found = {}
    for ts, column in zip(resolved.timeseries, resolved.columns(targets), strict=True):
        found[resolved.key(ts)] = Points(*await column_points(connection, column, start, end))
    return found


async def stats(connection: Reader, caller: Caller, selection: Selection) -> dict[Key, Stats]:
    """Each selected timeseries' stats over all its points (count 0 and None for one without)."""
    resolved = await resolve(connection, caller, selection)
    columns = resolved.columns()
    await refresh_on(connection, [column.series_id for column in columns if column.series_id is not None])
    found = await series_stats(connection, columns)
    return {resolved.key(ts): item for ts, item in zip(resolved.timeseries, found, strict=True)}
