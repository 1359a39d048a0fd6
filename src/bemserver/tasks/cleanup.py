"""Cleanup: Raw points inside [Min, Max] copied to Clean, set-based, insert-or-ignore.

For each timeseries of the campaign the caller may read, the Raw points strictly inside the
window (both bounds excluded, as the reference does) whose value is a number within the `Min`
and `Max` properties (bounds included; a missing or non-numeric property is no bound) are
inserted into the Clean state; a Clean point already there is kept (insert-or-ignore), so running
it again, or a retry after a crash, writes nothing twice. The timeseries are split in two
halves written side by side, each half one INSERT … SELECT in its own transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bemserver.tasks.registry import TaskContext
from bemserver.tasks.sql import CLEAN, campaign_timeseries, data_state_id
from bemserver.timeseries.models import TimeseriesByDataState
from bemserver.timeseries_data import rollups
from bemserver.timeseries_data.parallel import side_by_side

NO_JIT = text("SELECT set_config('jit', 'off', true)")
_SOURCE = """
    SELECT s.clean, d.timestamp, d.value
    FROM unnest(CAST(:raw AS int[]), CAST(:clean AS int[]), CAST(:min AS float8[]), CAST(:max AS float8[]))
         AS s(raw, clean, lo, hi)
    JOIN timeseries_data AS d ON d.series_id = s.raw AND d.timestamp > :start AND d.timestamp < :end
    WHERE d.value IS NOT NULL AND d.value <> 'NaN'
      AND (s.lo IS NULL OR d.value >= s.lo) AND (s.hi IS NULL OR d.value <= s.hi)
"""
_INSERT = "INSERT INTO timeseries_data (series_id, timestamp, value)"
# Two cleanups of one series wait for each other (writers of points only take KEY SHARE locks).
_LOCK = text(
    "SELECT id FROM timeseries_by_data_states WHERE id = ANY (CAST(:clean AS int[])) ORDER BY id FOR NO KEY UPDATE"
)
_ANY_CLEAN = text(
    "SELECT EXISTS (SELECT FROM unnest(CAST(:clean AS int[])) AS s(clean) JOIN timeseries_data AS c"
    " ON c.series_id = s.clean AND c.timestamp > :start AND c.timestamp < :end)"
)
# Nothing in Clean over the window yet (the usual case): a plain INSERT, much faster than ON
# CONFLICT's speculative insertions. Else the points not there yet, and on a race with another
# writer, insert-or-ignore.
_COPY_NEW = text(_INSERT + _SOURCE)
_COPY_MISSING = text(
    _INSERT
    + _SOURCE
    + " AND NOT EXISTS (SELECT FROM timeseries_data AS c WHERE c.series_id = s.clean AND c.timestamp = d.timestamp)"
)
_COPY_IGNORING = text(_INSERT + _SOURCE + " ON CONFLICT DO NOTHING")


async def _clean_series(context: TaskContext, raw_ids: list[int]) -> dict[int, int]:
    """timeseries id -> Clean series id, made where missing (one statement each way)."""
    t = TimeseriesByDataState
    session = context.session
    await session.execute(
        text(
            "INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id)"
            " SELECT unnest(CAST(:ids AS int[])), (SELECT id FROM timeseries_data_states WHERE name = :state)"
            " ON CONFLICT DO NOTHING"
        ),
        {"ids": raw_ids, "state": CLEAN},
    )
    rows = await session.execute(
        select(t.timeseries_id, t.id).where(
            t.timeseries_id.in_(raw_ids), t.data_state_id == data_state_id(CLEAN)
        )
    )
    return {row[0]: row[1] for row in rows}


async def cleanup(context: TaskContext) -> dict[str, Any]:
    ts = campaign_timeseries(context.caller, context.campaign.id, "Min", "Max")
    rows = (await context.session.execute(select(ts.c.id, ts.c.raw, ts.c.min, ts.c.max))).all()
    with_raw = [row for row in rows if row.raw is not None]
    if not with_raw:
        return {"timeseries": len(rows), "points_written": 0}
    clean = await _clean_series(context, [row.id for row in with_raw])
    # The Clean series must exist for the halves' own transactions: committed now (idempotent).
    await context.session.commit()
    work = [(row.raw, clean[row.id], row.min, row.max) for row in with_raw]
    written = await _copy_halves(context, work, context.start, context.end)
    return {"timeseries": len(rows), "points_written": written}


async def _copy_on(connection: AsyncConnection, params: dict[str, Any]) -> int:
    await connection.execute(_LOCK, params)
    statement = _COPY_MISSING if await connection.scalar(_ANY_CLEAN, params) else _COPY_NEW
    try:
        async with connection.begin_nested():
            result = await connection.execute(statement, params)
    except IntegrityError:  # another writer added some of these points meanwhile
        result = await connection.execute(_COPY_IGNORING, params)
    await rollups.points_changed(connection, params["clean"], params["start"], params["end"])
    return int(result.rowcount or 0)


async def _copy_halves(
    context: TaskContext,
    work: list[tuple[int, int, float | None, float | None]],
    start: datetime,
    end: datetime,
) -> int:
    async def copy(part: list[tuple[int, int, float | None, float | None]]) -> int:
        raw, clean, lo, hi = (list(column) for column in zip(*part, strict=True))
        params = {"raw": raw, "clean": clean, "min": lo, "max": hi, "start": start, "end": end}
        if context.database is None:  # no worker database: on the task's own session
            return await _copy_on(await context.session.connection(), params)
        async with context.database.engine.begin() as connection:
            await connection.execute(NO_JIT)
            return await _copy_on(connection, params)

    if context.database is None:
        return await copy(work)
    async with side_by_side(work, copy) as tasks:
        return sum([await task for task in tasks])
