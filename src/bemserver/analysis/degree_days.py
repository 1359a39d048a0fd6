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
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, literal, select

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign
from bemserver.db.engine import Reader
from bemserver.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from bemserver.permissions import read_filter
from bemserver.structure.models import Site
from bemserver.timeseries.models import Timeseries, TimeseriesByDataState, TimeseriesDataState
from bemserver.timeseries.rules import timeseries_data_filter
from bemserver.timeseries_data import numeric
from bemserver.timeseries_data.aggregate import Aggregation
from bemserver.timeseries_data.buckets import BucketUnit, local_midnight, next_period, period_start
from bemserver.timeseries_data.params import scale
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


async def _site_facts(connection: Reader, caller: Caller, site_id: int) -> SiteFacts:
    """In one query: the campaign's timezone, the Clean state's id and the site's first (by link id)
    measured air temperature the caller may read, with its Clean series. 404 for an unknown site,
    403 for one the caller may not read."""
    link, stored = WeatherTimeseriesBySite, TimeseriesByDataState
    clean = select(TimeseriesDataState.id).where(TimeseriesDataState.name == CLEAN).scalar_subquery()
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
    statement = (
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
    row = (await connection.execute(statement)).first()
    if row is None:
        raise NotFound()
    if not row.allowed:
        raise Forbidden()
    selected = None
    if row.timeseries_id is not None:
        selected = SelectedTimeseries(row.timeseries_id, row.name, row.unit_symbol)
    return SiteFacts(row.timezone, row.clean, selected, row.series)


def day_value(day: numeric.LocalDay, kind: Kind, base: float, method: Method) -> float:
    """A day's degree days from its hourly means (see the module's docstring)."""
    if method is Method.INTEGRATED:
        return day.shortfall / day.count
    middle = (day.low + day.high) / 2
    return max(base - middle if kind is Kind.HEATING else middle - base, 0.0)


def check_dates(start: date, end: date) -> None:
    if (end - start).days > MAX_DAYS:
        raise Unprocessable(errors={"query": {"end_date": [f"At most {MAX_DAYS} days after start_date."]}})


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
    facts = await _site_facts(connection, caller, site_id)
    if facts.temperature is None:
        raise Conflict(NO_TEMPERATURE)
    timeseries_id = facts.temperature.id
    scale(facts.temperature.unit_symbol, unit)  # 422 with the reason when it cannot be expressed in `unit`
    if end <= start:
        return {}
    tz = ZoneInfo(facts.timezone)
    grid = numeric.Bucketing(
        local_midnight(start, tz), local_midnight(end, tz), 1, BucketUnit.HOUR, facts.timezone
    )
    selection = Selection([timeseries_id], facts.clean)
    # The site's facts checked the temperature and found its series: no second look.
    series = {timeseries_id: facts.series} if facts.series is not None else {}
    found = await numeric.local_days(
        connection,
        caller,
        selection,
        grid,
        Aggregation.AVG,
        threshold=base,
        below=kind is Kind.HEATING,
        convert_to=[unit],
        resolved=Resolved(selection, [facts.temperature], series),
    )
    unit_of_period = BucketUnit(period.value)
    totals: dict[date, float | None] = {}
    first = period_start(start, unit_of_period)
    while first < end:
        totals[first] = None
        first = next_period(first, unit_of_period)
    for day in found[timeseries_id]:
        if start <= day.day < end:
            key = period_start(day.day, unit_of_period)
            value = day_value(day, kind, base, method)
            previous = totals[key]
            totals[key] = value if previous is None else previous + value
    return {local_midnight(first, tz).astimezone(tz).isoformat(): value for first, value in totals.items()}
