"""Rollups: per stored series, the points of each 15 minutes, hour and UTC day summed up.

Aggregates and stats read them whenever the bucket grid falls on their cells. Keeping them exact
costs as much as writing the points, so writes only note the changed span (`points_changed`, in
their transaction), a background job (refresh_job.py) brings them up to date once writes go
quiet, and readers first `refresh` what is left: the spans of the series read are claimed and their
cells recomputed (functions of migration 0005) in a short transaction of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bemserver.db.engine import Reader
from bemserver.timeseries_data.parallel import side_by_side


@dataclass(frozen=True, slots=True)
class RollupLevel:
    table: str
    seconds: int  # cell width; cells are aligned on the Unix epoch


QUARTERS = RollupLevel("timeseries_data_quarters", 900)
HOURS = RollupLevel("timeseries_data_hours", 3600)
DAYS = RollupLevel("timeseries_data_days", 86400)
LEVELS = (DAYS, HOURS, QUARTERS)  # coarsest first: the first whose cells fit a grid is used

# Seconds after a write that the job refreshing the rollups is due (refresh_job.py): writes in
# the meantime queue no other, and the job then refreshes all they changed at once.
ROLLUP_REFRESH_DELAY = 2
REFRESH_DELAY_SQL = f"interval '{ROLLUP_REFRESH_DELAY} seconds'"

_NOTE = text(
    "WITH noted AS (INSERT INTO timeseries_data_dirty (series_id, lo, hi)"
    " SELECT DISTINCT s, CAST(:lo AS timestamptz), CAST(:hi AS timestamptz)"
    " FROM unnest(CAST(:series AS int[])) AS s)"
    f" SELECT queue_rollup_refresh({REFRESH_DELAY_SQL})"
)
_REFRESH = text("SELECT refresh_dirty_rollups(CAST(:series AS int[]))")


async def points_changed(
    connection: AsyncConnection, series_ids: list[int], start: datetime, end: datetime
) -> None:
    """Note that points of these series were written or deleted in [start, end), and queue the
    job that refreshes their rollups unless one is waiting (one statement)."""
    if not series_ids or start >= end:
        return
    await connection.execute(_NOTE, {"series": list(series_ids), "lo": start, "hi": end})


async def refresh_on(connection: Reader, series_ids: list[int]) -> None:
    """Bring the rollups of these series up to date on the caller's connection: in its
    transaction, if any (then seeing its own writes, and holding the series' refresh locks until
    it ends)."""
    if series_ids:
        await connection.execute(_REFRESH, {"series": sorted(set(series_ids))})


async def _refresh_on_own_connection(engine: AsyncEngine, series_ids: list[int]) -> None:
    async with engine.begin() as connection:
        await refresh_on(connection, series_ids)


async def refresh(engine: AsyncEngine, series_ids: list[int]) -> None:
    """Bring the rollups of these series up to date (committed before returning), in two halves
    side by side (seconds after a bulk load); a series is locked by one refresh at a time."""
    async with side_by_side(sorted(set(series_ids)), partial(_refresh_on_own_connection, engine)) as tasks:
        await asyncio.gather(*tasks)
