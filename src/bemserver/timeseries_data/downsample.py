"""GET /timeseries_data/?max_points=N: at most N points per series, chosen to keep the curve's shape.

Our extension of the reference API (docs/compatibility.md, docs/timeseries_data.md). The period
[start, end) is cut into N // 2 equal columns; in each column the points of lowest and highest value
are kept (one point when they are the same), so every peak and every trough a chart can show at N/2
pixel columns survives. A series with at most N points in the period is returned whole. PostgreSQL
chooses and renders the points (one grouped pass over the period's points, one query per
series); the answer has the same JSON shape as without max_points.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.timeseries_data.export import _kept, _params, _value
from bemserver.timeseries_data.formats import json_key, sql_json_timestamp, sql_number
from bemserver.timeseries_data.selection import SeriesColumn

WORKERS = 2  # series computed side by side, each on its own connection


# Within 2**31 seconds (68 years) of the period's start, an instant's float8 seconds keep its exact
# microsecond; longer periods carry whole seconds and microseconds apart (exact, about 3x slower).
FAST_SPAN_SECONDS = 2**31


def _query(column: SeriesColumn, position: int, fast: bool = True) -> TextClause:
    """The kept points as JSON members, in one grouped pass over the period's points (no sort, no
    join): per column, min([value, t]) is the lowest value at its earliest instant and
    max([value, -t]) the highest at its earliest, t the instant counted from the period's start."""
    line = f"""'"' || {sql_json_timestamp("timestamp", "x")} || '":' || {sql_number("v")}"""
    bucket = "width_bucket(date_part('epoch', timestamp), :low_epoch, :high_epoch, :columns)"
    if fast:
        key, negated = "date_part('epoch', timestamp - :start) AS s", "-s"
        lowest = "CAST(round(lo[2] * 1000000) AS bigint)"
        highest = "CAST(round(-hi[2] * 1000000) AS bigint)"
    else:
        key = (
            "CAST(floor(extract(epoch FROM timestamp - :start)) AS float8) AS s,"
            " CAST(extract(microseconds FROM timestamp - :start) % 1000000 AS float8) AS us"
        )
        negated = "-s, -us"
        lowest = "CAST(lo[2] AS bigint) * 1000000 + CAST(lo[3] AS bigint)"
        highest = "CAST(-hi[2] AS bigint) * 1000000 + CAST(-hi[3] AS bigint)"
    parts = "s" if fast else "s, us"
    read = (
        f"FROM timeseries_data WHERE series_id = :series{position} AND timestamp >= :start"
        f" AND timestamp < :end{_kept(column, position)}"
    )
    # The extremes aggregate the table's rows as they are read (a CTE of every point would cost
    # three times more); the points are read a second time only when they are few enough to send.
    return text(
        "WITH extremes AS ("
        f" SELECT min(ARRAY[v, {parts}]) AS lo, max(ARRAY[v, {negated}]) AS hi, count(*) AS n FROM ("
        f"  SELECT timestamp, {_value(column, position)} AS v, {key} {read}) AS points"
        f" GROUP BY {bucket}),"
        " total AS (SELECT coalesce(sum(n), 0) AS n FROM extremes),"
        " kept AS ("
        # interval * number goes through float8: whole hours, then the remaining microseconds, stay exact.
        "  SELECT CAST(:start AS timestamptz) + (micro / 3600000000) * interval '1 hour'"
        "   + (micro % 3600000000) * interval '1 microsecond' AS timestamp, v FROM ("
        f"   SELECT {lowest} AS micro, lo[1] AS v FROM extremes"
        f"   UNION SELECT {highest}, hi[1] FROM extremes"
        "  ) AS chosen WHERE (SELECT n FROM total) > :max_points"
        "  UNION ALL"
        f"  SELECT timestamp, {_value(column, position)} AS v {read} AND (SELECT n FROM total) <= :max_points)"
        f" SELECT string_agg({line}, ',' ORDER BY timestamp)"
        " FROM (SELECT timestamp, timestamp::text AS x, v FROM kept) AS lines"
    )


async def downsampled_json_chunks(
    engine: AsyncEngine,
    columns: list[SeriesColumn],
    start: datetime,
    end: datetime,
    timezone: str,
    max_points: int,
) -> AsyncIterator[bytes]:
    """{"<label>": {"<timestamp>": value, ...}, ...} as json_chunks, at most max_points per series."""
    if start >= end:
        yield b"{}"
        return
    params = _params(columns) | {
        "start": start,
        "end": end,
        "low_epoch": start.timestamp(),
        "high_epoch": end.timestamp(),
        "columns": max(max_points // 2, 1),
        "max_points": max_points,
    }
    fast = (end - start).total_seconds() < FAST_SPAN_SECONDS
    slots = asyncio.Semaphore(WORKERS)

    async def body(position: int, column: SeriesColumn) -> str | None:
        async with slots, engine.connect() as connection:
            # Local to this read-only transaction. No JIT: compiling costs more than the query.
            await connection.execute(
                text(
                    "SELECT set_config('TimeZone', :tz, true), set_config('DateStyle', 'ISO', true),"
                    " set_config('jit', 'off', true)"
                ),
                {"tz": timezone},
            )
            return (await connection.execute(_query(column, position, fast), params)).scalar()

    stored = [(position, column) for position, column in enumerate(columns) if column.series_id is not None]
    bodies = await asyncio.gather(*(body(position, column) for position, column in stored))
    head = "{"
    for (_, column), text_body in zip(stored, bodies, strict=True):
        if text_body is None:
            continue
        yield (head + json_key(column.label) + ":{" + text_body + "}").encode()
        head = ","
    yield b"{}" if head == "{" else b"}"
