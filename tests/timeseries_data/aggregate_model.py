"""A plain Python computation of aggregates and stats, to check the server's answers against.

Bucket bounds come from the definition (local wall-clock floors, absolute steps for fixed units,
local midnights for calendar units), points are put in buckets by comparison, and the numbers
follow the documented rules: sum = the exact sum of the values' shortest decimal forms, rounded
once; avg = that float sum / count; count of an empty bucket 0, anything else of it None.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

FIXED = {"second": 1, "minute": 60, "hour": 3600}
NAIVE_EPOCH = datetime(1970, 1, 1)


def _exists(naive: datetime, tz: ZoneInfo, fold: int) -> bool:
    aware = naive.replace(tzinfo=tz, fold=fold)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def fixed_bounds(start: datetime, end: datetime, tz: ZoneInfo, seconds: int) -> list[datetime]:
    width = timedelta(seconds=seconds)
    local = start.astimezone(tz)
    naive = local.replace(tzinfo=None)
    floored = NAIVE_EPOCH + ((naive - NAIVE_EPOCH) // width) * width
    fold = local.fold if _exists(floored, tz, local.fold) else 1
    anchor = floored.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    bounds = [anchor]
    while bounds[-1] < end:
        bounds.append(bounds[-1] + width)
    return bounds


def _next(day: date, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "month":
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def _first(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def calendar_bounds(start: datetime, end: datetime, tz: ZoneInfo, unit: str) -> list[datetime]:
    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)

    day = _first(start.astimezone(tz).date(), unit)
    while midnight(_next(day, unit)) <= start:
        day = _next(day, unit)
    bounds = [midnight(day)]
    while bounds[-1] < end:
        day = _next(day, unit)
        bounds.append(midnight(day))
    return bounds


def bounds(start: datetime, end: datetime, timezone: str, value: int, unit: str) -> list[datetime]:
    tz = ZoneInfo(timezone)
    if unit in FIXED:
        return fixed_bounds(start, end, tz, value * FIXED[unit])
    return calendar_bounds(start, end, tz, unit)


def exact_sum(values: list[float]) -> Decimal:
    with localcontext() as context:
        context.prec = 2000  # every float8's shortest decimal, added up without rounding
        return sum((Decimal(repr(value)) for value in values), Decimal(0))


def to_float(number: Decimal) -> float:
    with localcontext() as context:
        context.prec = 60
        result = float(number)
    return result


def aggregate_value(values: list[float], aggregation: str) -> float | int | None:
    if aggregation == "count":
        return len(values)
    if not values:
        return None
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    total = exact_sum(values)
    as_float = to_float(total)
    if aggregation == "sum":
        return as_float
    if math.isfinite(as_float):
        return as_float / len(values)
    with localcontext() as context:
        context.prec = 60
        return to_float(total / len(values))


def convert(value: float | int | None, scale: float, offset: float) -> float | int | None:
    if value is None or (scale, offset) == (1.0, 0.0):
        return value
    return value * scale + offset


def aggregate(
    points: dict[datetime, float],
    start: datetime,
    end: datetime,
    timezone: str,
    value: int,
    unit: str,
    aggregation: str,
    scale: float = 1.0,
    offset: float = 0.0,
) -> dict[str, float | int | None]:
    """{isoformat of the bucket start in the timezone: value} for every bucket."""
    edges = bounds(start, end, timezone, value, unit)
    tz = ZoneInfo(timezone)
    if len(edges) == 1:
        return {}
    ordered = sorted(points.items())
    result: dict[str, float | int | None] = {}
    for low, high in itertools.pairwise(edges):
        inside = [v for moment, v in ordered if low <= moment < high]
        result[low.astimezone(tz).isoformat()] = convert(aggregate_value(inside, aggregation), scale, offset)
    return result


def stats(values: list[float]) -> dict[str, float | int | None]:
    """count, min, max, avg, stddev (sample), as the stats endpoint defines them."""
    if not values:
        return {"count": 0, "min": None, "max": None, "avg": None, "stddev": None}
    stddev = None
    if len(values) > 1:
        with localcontext() as context:
            context.prec = 2000
            exact = [Decimal(repr(v)) for v in values]
            n = len(exact)
            variance = (n * sum(x * x for x in exact) - sum(exact) ** 2) / (n * (n - 1))
            stddev = to_float(variance.sqrt())
    return {
        "count": len(values),
        "min": min(values),
        "max": max(values),
        "avg": aggregate_value(values, "avg"),
        "stddev": stddev,
    }
