"""The bucket grid of an aggregate request: which [start, end) instants each bucket covers.

Fixed units (N seconds, minutes or hours): the start floored, on the timezone's wall clock, to a
multiple of the width from 1970-01-01 00:00 local (4 hours start at local midnight), then steps in
absolute time (DST: hourly buckets skip or repeat 02:00). Calendar units (day, week, month, year;
N = 1): each bucket starts at a local midnight, so days last 23 or 25 hours across DST. The window
widens to whole buckets (none when start >= end and the end is on the grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from bemserver.http.errors import Unprocessable

ONLY_FIXED = "Only fixed bucket width units (second, minute, hour) accept a value different than 1."
TOO_MANY = "Too many buckets: at most {limit:,} values (buckets x timeseries) per request."

_NAIVE_EPOCH = datetime(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BucketUnit(StrEnum):
    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


FIXED_SECONDS = {BucketUnit.SECOND: 1, BucketUnit.MINUTE: 60, BucketUnit.HOUR: 3600}


def check_width(value: int, unit: BucketUnit) -> None:
    if value != 1 and unit not in FIXED_SECONDS:
        raise Unprocessable(errors={"query": {"bucket_width_value": [ONLY_FIXED]}})


# Local wall-clock time -> instant
def _exists(local: datetime) -> bool:
    """Whether an aware wall-clock time exists (is not skipped by a spring-forward)."""
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None)


def _instant(naive: datetime, tz: ZoneInfo, fold: int, in_gap_fold: int) -> datetime:
    """The UTC instant of a local wall-clock time: `fold` picks an occurrence of a repeated time;
    a skipped time is read with the offset before (fold 0: the later instant) or after (fold 1)."""
    local = naive.replace(tzinfo=tz, fold=fold)
    if not _exists(local):
        local = local.replace(fold=in_gap_fold)
    return local.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class FixedGrid:
    """Buckets [anchor + k * width, anchor + (k + 1) * width) for k in [0, count)."""

    anchor: datetime  # UTC
    width: timedelta
    count: int

    def start(self, k: int) -> datetime:
        return self.anchor + k * self.width

    @property
    def end(self) -> datetime:
        return self.start(self.count)

    def aligned(self, seconds: int) -> bool:
        """Whether every bucket boundary is a multiple of `seconds` since the Unix epoch (UTC)."""
        step = timedelta(seconds=seconds)
        return not self.width % step and not (self.anchor - _EPOCH) % step


@dataclass(frozen=True, slots=True)
class CalendarGrid:
    """Buckets [bounds[k], bounds[k + 1]) for k in [0, count)."""

    bounds: list[datetime]  # UTC, count + 1 of them

    @property
    def count(self) -> int:
        return len(self.bounds) - 1

    def start(self, k: int) -> datetime:
        return self.bounds[k]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    def aligned(self, seconds: int) -> bool:
        step = timedelta(seconds=seconds)
        return not any((bound - _EPOCH) % step for bound in self.bounds)


Grid = FixedGrid | CalendarGrid


def fixed_grid(start: datetime, end: datetime, tz: ZoneInfo, seconds: int) -> FixedGrid:
    width = timedelta(seconds=seconds)
    local = start.astimezone(tz)
    naive = local.replace(tzinfo=None)
    floored = naive - (naive - _NAIVE_EPOCH) % width
    # A repeated floor keeps the start's occurrence; a skipped one is read with the later offset,
    # so that the anchor is never after the start.
    anchor = _instant(floored, tz, local.fold, 1)
    span = end - anchor
    count = max(0, -(-span // width)) if span > timedelta(0) else 0
    return FixedGrid(anchor, width, count)


# Calendar periods: the local date a period starts on, and the next one's.
def _period_start(day: date, unit: BucketUnit) -> date:
    if unit is BucketUnit.WEEK:
        return day - timedelta(days=day.weekday())
    if unit is BucketUnit.MONTH:
        return day.replace(day=1)
    if unit is BucketUnit.YEAR:
        return day.replace(month=1, day=1)
    return day


def _next_period(day: date, unit: BucketUnit) -> date:
    if unit is BucketUnit.DAY:
        return day + timedelta(days=1)
    if unit is BucketUnit.WEEK:
        return day + timedelta(days=7)
    if unit is BucketUnit.MONTH:
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant a local date begins: its first midnight, or the end of a gap that skips it."""
    return _instant(datetime(day.year, day.month, day.day), tz, 0, 0)


def period_start(day: date, unit: BucketUnit) -> date:
    """The local date a calendar period (day, week from Monday, month, year) holding `day` starts on."""
    return _period_start(day, unit)


def next_period(day: date, unit: BucketUnit) -> date:
    return _next_period(day, unit)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant a local date begins (the end of a gap that skips its midnight)."""
    return _midnight(day, tz)


def calendar_grid(start: datetime, end: datetime, tz: ZoneInfo, unit: BucketUnit, limit: int) -> CalendarGrid:
    day = _period_start(start.astimezone(tz).date(), unit)
    bound = _midnight(day, tz)
    # A start in a repeated hour before midnight may show the previous date: step to its period.
    while (following := _midnight(_next_period(day, unit), tz)) <= start:
        day, bound = _next_period(day, unit), following
    bounds = [bound]
    while bound < end:
        if len(bounds) > limit:
            raise Unprocessable(TOO_MANY.format(limit=limit))
        day = _next_period(day, unit)
        bound = _midnight(day, tz)
        bounds.append(bound)
    return CalendarGrid(bounds)


def grid(start: datetime, end: datetime, timezone: str, value: int, unit: BucketUnit, limit: int) -> Grid:
    """The grid covering [start, end); 422 when it would have more than `limit` buckets."""
    check_width(value, unit)
    tz = ZoneInfo(timezone)
    if unit in FIXED_SECONDS:
        made = fixed_grid(start, end, tz, value * FIXED_SECONDS[unit])
        if made.count > limit:
            raise Unprocessable(TOO_MANY.format(limit=limit))
        return made
    return calendar_grid(start, end, tz, unit, limit)


# Bucket starts as local ISO 8601 text
_CHECK_SECONDS = 3600  # a zone's offset is read once an hour of buckets (no zone changes it twice in an hour)


def iso_starts(grid: Grid, tz: tzinfo, k0: int, k1: int) -> list[str]:
    """`grid.start(k).astimezone(tz).isoformat()` for k in [k0, k1), about three times faster for
    fixed grids: between two readings of the zone's offset (an hour of buckets apart) that agree,
    the local times advance by the width and share the offset's text."""
    if not isinstance(grid, FixedGrid) or k1 <= k0:
        return [grid.start(k).astimezone(tz).isoformat() for k in range(k0, k1)]
    step = max(1, _CHECK_SECONDS // max(1, int(grid.width.total_seconds())))
    texts: list[str] = []
    for first in range(k0, k1, step):
        last = min(first + step, k1) - 1
        start = grid.start(first).astimezone(tz)
        if start.utcoffset() != grid.start(last).astimezone(tz).utcoffset():
            texts.extend(grid.start(k).astimezone(tz).isoformat() for k in range(first, last + 1))
            continue
        naive = start.replace(tzinfo=None)
        suffix = start.isoformat()[len(naive.isoformat()) :]
        width = grid.width
        for _ in range(first, last + 1):
            texts.append(naive.isoformat() + suffix)
            naive += width
    return texts
