"""Stats of whole series: first and last timestamps, count, min, max, avg and sample stddev.

Timestamps from the primary key, the rest from the daily rollups (stddev merging the days' squared
deviations, or computed from the points when some value is not a whole number of millionths).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bemserver.db.engine import Reader
from bemserver.timeseries_data.formats import json_key, json_number, json_timestamp
from bemserver.timeseries_data.rollups import DAYS
from bemserver.timeseries_data.selection import SeriesColumn

_STATS = text(f"""
WITH days AS (
    SELECT series_id, count, micros, decimals, fsum, min, max, m2,
        bool_and(m2 IS NOT NULL) OVER series AS exact,
        -- only used for series of whole millionths below 1e9: no float overflow there
        sum(CASE WHEN m2 IS NOT NULL THEN fsum END) OVER series / sum(count) OVER series AS mean
    FROM {DAYS.table} WHERE series_id = ANY(CAST(:ids AS int[]))
    WINDOW series AS (PARTITION BY series_id)
),
totals AS (
    SELECT series_id, sum(count)::int8 AS n, sum(micros) AS micros, sum(decimals) AS decimals,
        min(min) AS lo, max(max) AS hi, bool_and(exact) AS exact,
        sum(m2 + count * (fsum / count - mean) ^ 2) FILTER (WHERE exact) AS m2
    FROM days GROUP BY series_id
)
SELECT s.p, first.timestamp, last.timestamp, coalesce(t.n, 0), t.lo, t.hi,
    CASE WHEN t.n IS NULL THEN NULL
        WHEN abs(rounded_sum(t.micros, t.decimals)) <> 'Infinity' THEN rounded_sum(t.micros, t.decimals) / t.n
        ELSE rounded_sum(0, (t.micros * 0.000001 + coalesce(t.decimals, 0)) / t.n) END,
    CASE WHEN t.n > 1 AND t.exact THEN sqrt(t.m2 / (t.n - 1))
        WHEN t.n > 1 THEN rounded_sum(0, points.deviation) END
FROM unnest(CAST(:ids AS int[])) WITH ORDINALITY AS s(id, p)
LEFT JOIN totals AS t ON t.series_id = s.id
LEFT JOIN LATERAL (
    SELECT timestamp FROM timeseries_data WHERE series_id = s.id ORDER BY timestamp LIMIT 1
) AS first ON true
LEFT JOIN LATERAL (
    SELECT timestamp FROM timeseries_data WHERE series_id = s.id ORDER BY timestamp DESC LIMIT 1
) AS last ON true
LEFT JOIN LATERAL (
    -- some value is not a whole number of millionths: the exact deviation, from the points
    SELECT stddev_samp(value::text::numeric) AS deviation FROM timeseries_data
    WHERE series_id = s.id AND NOT t.exact AND t.n > 1
) AS points ON true
ORDER BY s.p
""")


@dataclass(frozen=True, slots=True)
class Stats:
    first: datetime | None
    last: datetime | None
    count: int
    min: float | None
    max: float | None
    avg: float | None
    stddev: float | None


async def series_stats(connection: Reader, columns: list[SeriesColumn]) -> list[Stats]:
    """Stats of each column's series (none: count 0), from the daily rollups, which the caller
    brings up to date first (rollups.refresh or refresh_on)."""
    rows = await connection.execute(_STATS, {"ids": [column.series_id for column in columns]})
    return [Stats(*row[1:]) for row in rows]


def _timestamp(moment: datetime | None, tz: ZoneInfo) -> str:
    return "null" if moment is None else f'"{json_timestamp(moment, tz)}"'


def render(columns: list[SeriesColumn], stats: list[Stats], timezone: str) -> bytes:
    """{"stats": {"<label>": {first_timestamp, last_timestamp, count, min, max, avg, stddev}}}."""
    tz = ZoneInfo(timezone)
    parts = []
    for column, item in zip(columns, stats, strict=True):
        fields = (
            f'"first_timestamp":{_timestamp(item.first, tz)},"last_timestamp":{_timestamp(item.last, tz)},'
            f'"count":{item.count},"min":{json_number(item.min)},"max":{json_number(item.max)},'
            f'"avg":{json_number(item.avg)},"stddev":{json_number(item.stddev)}'
        )
        parts.append(f"{json_key(column.label)}:{{{fields}}}")
    return ('{"stats":{' + ",".join(parts) + "}}").encode()
