"""Completeness: per timeseries and bucket, how many points there are against how many its interval
expects. Counts come from the aggregate grid (numeric.bucketed, count), in SQL; only one number per
bucket reaches Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from bemserver.auth.caller import Caller
from bemserver.db.engine import Reader
from bemserver.timeseries.models import TimeseriesProperty, TimeseriesPropertyData
from bemserver.timeseries_data import numeric
from bemserver.timeseries_data.aggregate import Aggregation
from bemserver.timeseries_data.selection import Selection

INTERVAL_PROPERTY = "Interval"


def bucket_seconds(bounds: Sequence[float]) -> list[float]:
    """The length of each bucket from its bounds in Unix seconds: calendar lengths (23 or 25 hours
    across DST, 28 to 31 days a month)."""
    return [bounds[k + 1] - bounds[k] for k in range(len(bounds) - 1)]


def parse_interval(text: str | None) -> float | None:
    """The Interval property's value in seconds ("600", "600.0", "0.5"); None when absent or not a
    positive finite number (then the interval is inferred from the data, as when absent)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def series_completeness(
    name: str, counts: Sequence[int], seconds: Sequence[float], interval: float | None
) -> dict[str, Any]:
    """One timeseries' completeness document, in the reference's field order. Without an interval,
    it is 1 / the highest rate of points over the buckets (None without any point); the ratio of a
    bucket is its rate x the interval, so it can exceed 1."""
    rates = [count / length for count, length in zip(counts, seconds, strict=True)]
    undefined = interval is None
    if undefined:
        highest = max(rates, default=0.0)
        interval = 1 / highest if highest > 0 else None
    if interval is None:
        expected: list[float | None] = [None] * len(counts)
        ratio: list[float | None] = [None] * len(counts)
        avg_ratio = None
    else:
        expected = [length / interval for length in seconds]
        ratios = [rate * interval for rate in rates]
        ratio, avg_ratio = list(ratios), _mean(ratios)
    return {
        "name": name,
        "count": list(counts),
        "ratio": ratio,
        "total_count": sum(counts),
        "avg_count": _mean(counts),
        "avg_ratio": avg_ratio,
        "interval": interval,
        "undefined_interval": undefined,
        "expected_count": expected,
    }


async def intervals(connection: Reader, timeseries_ids: Sequence[int]) -> dict[int, str]:
    """The Interval property's text per timeseries that has one."""
    rows = await connection.execute(
        select(TimeseriesPropertyData.timeseries_id, TimeseriesPropertyData.value)
        .join(TimeseriesProperty, TimeseriesProperty.id == TimeseriesPropertyData.property_id)
        .where(
            TimeseriesProperty.name == INTERVAL_PROPERTY,
            TimeseriesPropertyData.timeseries_id.in_(list(timeseries_ids)),
        )
    )
    return {row.timeseries_id: row.value for row in rows}


async def completeness(
    connection: Reader, caller: Caller, timeseries: Sequence[int], data_state: int, grid: numeric.Bucketing
) -> dict[str, Any]:
    """{"timestamps": [bucket starts], "timeseries": {"<id>": document}}, timeseries in request order
    (duplicates once). Errors as numeric.bucketed's (422 unknown timeseries or data state, 403)."""
    buckets = await numeric.bucketed(
        connection, caller, Selection(list(timeseries), data_state), grid, Aggregation.COUNT
    )
    seconds = bucket_seconds(buckets.bounds)
    found = await intervals(connection, [int(key) for key in buckets.values])
    documents = {
        str(key): series_completeness(
            buckets.names[key],
            [int(count or 0) for count in counts],
            seconds,
            parse_interval(found.get(int(key))),
        )
        for key, counts in buckets.values.items()
    }
    return {"timestamps": buckets.starts, "timeseries": documents}
