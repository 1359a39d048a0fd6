"""GET /timeseries_data/?max_points=N: at most N points per series, chosen to keep the curve's shape.

Our extension of the reference API (docs/compatibility.md, docs/timeseries_data.md). The period
[start, end) is cut into N // 2 equal columns; in each column the points of lowest and highest value
are kept (one point when they are the same), so every peak and every trough a chart can show at N/2
pixel columns survives. A series with at most N points in the period is returned whole. PostgreSQL
chooses and renders the points (two window functions over the period's points, one query per
series); the answer has the same JSON shape as without max_points.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.timeseries_data.export import _begin, _kept, _params, _value
from bemserver.timeseries_data.formats import json_key, sql_json_timestamp, sql_number
from bemserver.timeseries_data.selection import SeriesColumn

MIN_POINTS, MAX_POINTS = 2, 100_000


def _query(column: SeriesColumn, position: int) -> TextClause:
    line = f"""'"' || {sql_json_timestamp("timestamp", "x")} || '":' || {sql_number("v")}"""
    bucket = "width_bucket(extract(epoch FROM timestamp), :low_epoch, :high_epoch, :columns)"
    return text(
        f"SELECT string_agg({line}, ',' ORDER BY timestamp) FROM ("
        " SELECT timestamp, timestamp::text AS x, v FROM ("
        "  SELECT timestamp, v, count(*) OVER () AS total,"
        "   row_number() OVER (PARTITION BY b ORDER BY v, timestamp) AS lowest,"
        "   row_number() OVER (PARTITION BY b ORDER BY v DESC, timestamp) AS highest"
        f"  FROM (SELECT timestamp, {_value(column, position)} AS v, {bucket} AS b FROM timeseries_data"
        f"   WHERE series_id = :series{position} AND timestamp >= :start AND timestamp < :end"
        f"{_kept(column, position)}) AS points"
        " ) AS ranked WHERE total <= :max_points OR lowest = 1 OR highest = 1"
        ") AS kept"
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
    head = "{"
    async with engine.connect() as connection:
        await _begin(connection, timezone)
        for position, column in enumerate(columns):
            if column.series_id is None:
                continue
            body = (await connection.execute(_query(column, position), params)).scalar()
            if body is None:
                continue
            yield (head + json_key(column.label) + ":{" + body + "}").encode()
            head = ","
    yield b"{}" if head == "{" else b"}"
