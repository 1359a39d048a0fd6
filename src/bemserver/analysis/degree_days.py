"""Degree days of a site, from the hourly means of its air temperature (Clean data, campaign timezone).

Two methods (docs/analysis.md):
- `min_max` (the reference's): each day's (min + max) / 2 of its hourly means, then base - that
  (heating) or that - base (cooling), floored at 0;
- `integrated`: the mean over the day's hours of base - hourly mean (or the reverse), each floored
  at 0, i.e. the degree hours of a full day / 24.
The hourly means are grouped by local day in SQL (numeric.local_days): a few hundred rows reach
Python. Days add up to periods (day, week from Monday, month, year); a period without data is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, bindparam, literal, select

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign
from bemserver.db.engine import Reader
from bemserver.db.prepared import Prepared
from bemserver.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from bemserver.permissions import read_filter, sql_caller
from bemserver.structure.models import Site
from bemserver.timeseries.models import Timeseries, TimeseriesByDataState, TimeseriesDataState
from bemserver.timeseries.rules import timeseries_data_filter
from bemserver.timeseries_data import numeric
from bemserver.timeseries_data.aggregate import Aggregation, value_sql
from bemserver.timeseries_data.buckets import BucketUnit, local_midnight, next_period, period_start
from bemserver.timeseries_data.params import scale
from bemserver.timeseries_data.rollups import HOURS
from bemserver.timeseries_data.selection import Resolved, SelectedTimeseries, Selection
from bemserver.weather.models import WeatherTimeseriesBySite

NO_TEMPERATURE = "Air temperature for site undefined or access denied."
AIR_TEMPERATURE = "AIR_TEMPERATURE"
CLEAN = "Clean"
MAX_DAYS = 200 * 366


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Kind(StrEnum):
    HEATING = "heating"
    COOLING = "cooling"


class Method(StrEnum):
    MIN_MAX = "min_max"
    INTEGRATED = "integrated"


@dataclass(frozen=True, slots=True)
class SiteFacts:
    timezone: str
    clean: int
    temperature: SelectedTimeseries | None  # the first readable measured air temperature
    series: int | None  # its stored Clean series (None: never written in Clean)


def _facts_statement(caller: Caller) -> Select[Any]:
    """The campaign's timezone, the Clean state's id and the site's first (by link id) measured air
    temperature the caller may read, with its Clean series, of the site :site_id (no row: no such
    site; `allowed`: whether the caller may read it). `caller` may be a placeholder caller."""
    link, stored = WeatherTimeseriesBySite, TimeseriesByDataState
    clean = select(TimeseriesDataState.id).where(TimeseriesDataState.name == CLEAN).scalar_subquery()
    site_id = bindparam("site_id", type_=Integer)
    temperature = (
        select(link.timeseries_id, Timeseries.name, Timeseries.unit_symbol, stored.id.label("series"))
        .join(Timeseries, Timeseries.id == link.timeseries_id)
        .outerjoin(stored, and_(stored.timeseries_id == link.timeseries_id, stored.data_state_id == clean))
        .where(link.site_id == site_id, link.parameter == AIR_TEMPERATURE, link.forecast.is_(False))
        .order_by(link.id)
        .limit(1)
    )
    if not caller.is_admin:
        temperature = temperature.where(read_filter(link, caller), timeseries_data_filter(caller))
    found = temperature.subquery()
    return (
        select(
            read_filter(Site, caller).label("allowed"),
            Campaign.timezone,
            clean.label("clean"),
            found.c.timeseries_id,
            found.c.name,
            found.c.unit_symbol,
            found.c.series,
        )
        .select_from(Site)
        .join(Campaign, Campaign.id == Site.campaign_id)
        .outerjoin(found, literal(True))
        .where(Site.id == site_id)
    )


# With the site's facts, in the same statement (one snapshot): whether the series has points
# written since its rollups were refreshed (`pending`); the instants that the local dates of
# [:dd_start, :dd_end] begin at by PostgreSQL's reading of the timezone (`starts`, Unix seconds);
# and the hourly means of the hour rollup cells between the first and the last, grouped by the
# date their start falls in (`k`: 1 for the first): how many, the lowest, the highest and the sum
# of shortfalls (arrays in date order). The dates are found by a binary search of each cell's
# start among the bounds, not by converting it to local time (three times cheaper). They serve
# when Python's grid is the same (see _serves); otherwise the general path reads them again.
_WITH_DAYS = """
WITH facts AS ({facts})
SELECT facts.*, span.pending, span.starts, days.*
FROM facts
LEFT JOIN LATERAL (
    SELECT EXISTS (SELECT FROM timeseries_data_dirty WHERE series_id = facts.series) AS pending,
        bounds, ARRAY(SELECT date_part('epoch', bound)::int8 FROM unnest(bounds) AS bound) AS starts
    FROM (
        SELECT ARRAY(
            SELECT CAST(day AS timestamp) AT TIME ZONE facts.timezone
            FROM generate_series(CAST(%(dd_start)s AS timestamp), CAST(%(dd_end)s AS timestamp), interval '1 day') AS day
        ) AS bounds
        OFFSET 0
    ) AS made
    WHERE facts.allowed AND facts.series IS NOT NULL
) AS span ON true
LEFT JOIN LATERAL (
    SELECT array_agg(k ORDER BY k) AS ks, array_agg(n ORDER BY k) AS counts, array_agg(lo ORDER BY k) AS lows,
        array_agg(hi ORDER BY k) AS highs, array_agg(shortfall ORDER BY k) AS shortfalls
    FROM (
        SELECT k, count(*) AS n, min(value) AS lo, max(value) AS hi,
            sum(greatest(CAST(%(dd_sign)s AS float8) * (CAST(%(dd_threshold)s AS float8) - value), 0)) AS shortfall
        FROM (
            SELECT width_bucket(start, span.bounds) AS k, {value} AS value
            FROM (
                SELECT start, count AS n, micros, decimals, fsum FROM timeseries_data_hours
                WHERE series_id = facts.series AND start >= span.bounds[1]
                    AND start < span.bounds[array_length(span.bounds, 1)]
            ) AS cells
            OFFSET 0
        ) AS hours
        WHERE value IS NOT NULL
        GROUP BY k
    ) AS grouped
    WHERE NOT span.pending
) AS days ON true
"""
_STATEMENTS: dict[bool, Prepared] = {}


def _statement(caller: Caller) -> Prepared:
    """The statement of the facts and the days, compiled once for admins and once for others."""
    prepared = _STATEMENTS.get(caller.is_admin)
    if prepared is None:
        facts = Prepared.compile(_facts_statement(sql_caller(caller)))
        assert facts is not None
        sql = _WITH_DAYS.format(facts=facts.sql, value=value_sql(Aggregation.AVG))
        extra = {"dd_start", "dd_end", "dd_sign", "dd_threshold"}
        prepared = _STATEMENTS[caller.is_admin] = Prepared(sql, facts.constants, facts.placeholders | extra)
    return prepared


@dataclass(frozen=True, slots=True)
class _Read:
    facts: SiteFacts
    pending: bool
    starts: list[int] | None  # Unix seconds, of the dates [start, end]; None: no days read
    days: list[numeric.LocalDay]


async def _read(
    connection: Reader, caller: Caller, site_id: int, start: date, end: date, kind: Kind, base: float
) -> _Read:
    """The site's facts (404 for an unknown site, 403 for one the caller may not read) and the
    hourly means by local day read with them (see _WITH_DAYS)."""
    values = {
        "site_id": site_id,
        "caller_id": caller.id,
        "dd_start": datetime(start.year, start.month, start.day),
        "dd_end": datetime(end.year, end.month, end.day),
        "dd_sign": 1.0 if kind is Kind.HEATING else -1.0,
        "dd_threshold": base,
    }
    rows = await _statement(caller).rows(connection, values, binary=True)  # arrays of numbers
    if not rows:
        raise NotFound()
    row = rows[0]
    if not row["allowed"]:
        raise Forbidden()
    selected = None
    if row["timeseries_id"] is not None:
        selected = SelectedTimeseries(row["timeseries_id"], row["name"], row["unit_symbol"])
    facts = SiteFacts(row["timezone"], row["clean"], selected, row["series"])
    days = []
    if row["ks"] is not None:
        first = start.toordinal() - 1
        days = list(
            map(
                numeric.LocalDay,
                [date.fromordinal(first + k) for k in row["ks"]],
                row["counts"],
                row["lows"],
                row["highs"],
                row["shortfalls"],
            )
        )
    return _Read(facts, bool(row["pending"]), row["starts"], days)


def day_value(day: numeric.LocalDay, kind: Kind, base: float, method: Method) -> float:
    """A day's degree days from its hourly means (see the module's docstring)."""
    if method is Method.INTEGRATED:
        return day.shortfall / day.count
    middle = (day.low + day.high) / 2
    return max(base - middle if kind is Kind.HEATING else middle - base, 0.0)


def check_dates(start: date, end: date) -> None:
    if (end - start).days > MAX_DAYS:
        raise Unprocessable(errors={"query": {"end_date": [f"At most {MAX_DAYS} days after start_date."]}})


async def _general_days(
    connection: Reader,
    caller: Caller,
    facts: SiteFacts,
    grid: numeric.Bucketing,
    kind: Kind,
    base: float,
    unit: str,
) -> list[numeric.LocalDay]:
    """The hourly means by local day by the general path (any grid, unit conversion; it brings
    the rollups up to date first)."""
    assert facts.temperature is not None and facts.series is not None
    timeseries_id = facts.temperature.id
    selection = Selection([timeseries_id], facts.clean)
    # The site's facts checked the temperature and found its series: no second look.
    found = await numeric.local_days(
        connection,
        caller,
        selection,
        grid,
        Aggregation.AVG,
        threshold=base,
        below=kind is Kind.HEATING,
        convert_to=[unit],
        resolved=Resolved(selection, [facts.temperature], {timeseries_id: facts.series}),
    )
    return found[timeseries_id]


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MIDNIGHT = "T00:00:00"


@dataclass(frozen=True, slots=True)
class Midnights:
    """For each local date of [start, end]: the instant it begins (local_midnight, Unix seconds)
    and that instant's local ISO 8601 text; `repeated`: whether some of these midnights come twice
    (a fall-back across midnight, after which local dates do not follow the instants' order)."""

    seconds: tuple[int, ...]
    texts: tuple[str, ...]
    repeated: bool


def midnights(start: date, end: date, tz: ZoneInfo) -> Midnights:
    """Midnights of [start, end]: about ten times faster than local_midnight day by day, as a
    midnight that exists once is the date's wall clock at its own offset (whose text is shared)."""
    seconds: list[int] = []
    texts: list[str] = []
    repeated = False
    suffixes: dict[timedelta, str] = {}
    for ordinal in range(start.toordinal(), end.toordinal() + 1):
        day = date.fromordinal(ordinal)
        local = datetime(day.year, day.month, day.day, tzinfo=tz)
        offset, later = local.utcoffset(), local.replace(fold=1).utcoffset()
        assert offset is not None and later is not None
        # Skipped or repeated, the first instant is the wall clock at the offset before (fold 0)
        seconds.append((ordinal - _EPOCH_ORDINAL) * 86400 - int(offset.total_seconds()))
        if offset < later:  # skipped: the end of the gap, at another wall clock time
            texts.append(local_midnight(day, tz).astimezone(tz).isoformat())
            continue
        repeated = repeated or offset > later
        suffix = suffixes.get(offset)
        if suffix is None:
            suffix = suffixes[offset] = local.isoformat()[len(day.isoformat() + _MIDNIGHT) :]
        texts.append(day.isoformat() + _MIDNIGHT + suffix)
    return Midnights(tuple(seconds), tuple(texts), repeated)


# Dashboards ask for the same ranges again and again
_range_midnights = lru_cache(maxsize=64)(midnights)


def _serves(read: _Read, found: Midnights, converted: bool) -> bool:
    """Whether the days read with the facts are those of the general path: hourly buckets from
    local_midnight(start) that are the hour rollup's cells, each in the local date its start falls
    on. That holds when the first midnight is a whole UTC hour, PostgreSQL puts every midnight
    where Python does and none is repeated, the values need no conversion and no rollup refresh
    is pending."""
    if read.pending or converted or read.starts is None or found.repeated:
        return False
    return tuple(read.starts) == found.seconds and not found.seconds[0] % HOURS.seconds


def _totals(
    days: list[numeric.LocalDay],
    start: date,
    end: date,
    period: Period,
    kind: Kind,
    base: float,
    method: Method,
) -> dict[date, float | None]:
    """{period's first day: the sum of its days' values, or None} over [start, end), in order."""
    unit = BucketUnit(period.value)
    firsts = []
    first = period_start(start, unit)
    while first < end:
        firsts.append(first)
        first = next_period(first, unit)
    totals: dict[date, float | None] = dict.fromkeys(firsts)
    by_day = period is Period.DAY
    for day in days:
        if start <= day.day < end:
            key = day.day if by_day else period_start(day.day, unit)
            value = day_value(day, kind, base, method)
            previous = totals[key]
            totals[key] = value if previous is None else previous + value
    return totals


async def degree_days(
    connection: Reader,
    caller: Caller,
    site_id: int,
    start: date,
    end: date,
    period: Period,
    kind: Kind = Kind.HEATING,
    base: float = 18.0,
    unit: str = "°C",
    method: Method = Method.MIN_MAX,
) -> dict[str, float | None]:
    """{period start (campaign timezone, ISO 8601): degree days or None} over the local days [start, end)."""
    check_dates(start, end)
    read = await _read(connection, caller, site_id, start, end, kind, base)
    facts = read.facts
    if facts.temperature is None:
        raise Conflict(NO_TEMPERATURE)
    # 422 with the reason when it cannot be expressed in `unit`
    converted = scale(facts.temperature.unit_symbol, unit) != (1.0, 0.0)
    if end <= start:
        return {}
    tz = ZoneInfo(facts.timezone)
    found = _range_midnights(start, end, tz)
    days = read.days
    if facts.series is not None and not _serves(read, found, converted):
        grid = numeric.Bucketing(
            local_midnight(start, tz), local_midnight(end, tz), 1, BucketUnit.HOUR, facts.timezone
        )
        days = await _general_days(connection, caller, facts, grid, kind, base, unit)
    totals = _totals(days, start, end, period, kind, base, method)
    if period is Period.DAY:
        texts = list(found.texts[:-1])
    else:
        texts = [midnights(first, first, tz).texts[0] for first in totals]
    return dict(zip(texts, totals.values(), strict=True))
