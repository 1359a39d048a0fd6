"""Downloading a site's weather data from the provider into its weather timeseries.

`download_weather_for_site` is the whole service, callable without a request (a scheduled task
passes its session or connection, `auth.caller.SYSTEM` and the worker's settings). The values of
[start, end) replace the Clean data of that period in one transaction, after the provider has
answered: a failed download leaves the stored data as it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bemserver.auth.caller import Caller
from bemserver.db.driver import transaction
from bemserver.db.engine import Reader
from bemserver.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from bemserver.settings import Settings
from bemserver.structure.models import Site
from bemserver.timeseries.models import Timeseries, TimeseriesDataState
from bemserver.timeseries_data import ingest
from bemserver.timeseries_data.posted import python_points, storable
from bemserver.timeseries_data.selection import Selection, resolve
from bemserver.units import ConversionError, UnitError, conversion
from bemserver.weather.errors import MISSING_COORDINATES, ProviderFailed
from bemserver.weather.models import WeatherTimeseriesBySite as Link
from bemserver.weather.parameters import REFERENCE_UNITS, WeatherParameter
from bemserver.weather.providers import Provider, provider_from

CLEAN = "Clean"  # the data state weather values are written to, as in the reference
MAX_PERIOD = timedelta(days=3 * 366)
PERIOD_ORDER = "end_time must be later than start_time."
PERIOD_LENGTH = f"A download covers at most {MAX_PERIOD.days} days: split the period."


async def download_weather_for_site(
    db: Reader,
    caller: Caller,
    site_id: int,
    start: datetime,
    end: datetime,
    forecast: bool = False,
    *,
    settings: Settings | None = None,
    provider: Provider | None = None,
) -> int:
    """Download the weather of [start, end) into the site's weather timeseries of that `forecast`
    flag; returns the number of points written. `provider`: by default the one of `settings`
    (read from the environment when not given). Errors: 422 period, 404 site, 403 not an admin,
    409 settings, coordinates or units, 422 a parameter the provider lacks, 502/504 provider."""
    if end <= start:
        raise Unprocessable(errors={"query": {"_schema": [PERIOD_ORDER]}})
    if end - start > MAX_PERIOD:
        raise Unprocessable(errors={"query": {"_schema": [PERIOD_LENGTH]}})
    site = (await db.execute(select(Site.latitude, Site.longitude).where(Site.id == site_id))).first()
    if site is None:
        raise NotFound()
    if not caller.is_admin:
        raise Forbidden()
    links = await _links(db, site_id, forecast)
    if not links:  # nothing to download into: the provider is not called
        return 0
    provider = provider or provider_from(settings or Settings())
    if site.latitude is None or site.longitude is None:
        raise Conflict(MISSING_COORDINATES)
    parameters = list(dict.fromkeys(parameter for parameter, _, _ in links))
    lacking = provider.lacks(parameters)
    if lacking:
        names = ", ".join(lacking)
        raise Unprocessable(f"The weather provider {provider.name} does not provide: {names}.")
    targets = {(parameter, ts_id): _target_unit(parameter, ts_id, unit) for parameter, ts_id, unit in links}
    fetched = await provider.fetch(site.latitude, site.longitude, start, end, parameters, forecast)
    document: dict[int, dict[datetime, float]] = {}
    for (parameter, ts_id), unit in targets.items():
        document.setdefault(ts_id, {}).update(_converted(provider.name, parameter, fetched, unit))
    clean = await _clean_state(db)
    written = sum(len(values) for values in document.values())
    async with transaction(db):
        resolved = await resolve(db, caller, Selection(list(document), clean))
        await ingest.delete(db, resolved, start, end)
        if written:
            posted = python_points({ts_id: values for ts_id, values in document.items() if values})
            await ingest.write(db, caller, posted, clean, overwrite=True)
    return written


async def _links(db: Reader, site_id: int, forecast: bool) -> list[tuple[WeatherParameter, int, str]]:
    """(parameter, timeseries id, its unit) of the site's weather links of that flag."""
    rows = await db.execute(
        select(Link.parameter, Link.timeseries_id, Timeseries.unit_symbol)
        .join(Timeseries, Timeseries.id == Link.timeseries_id)
        .where(Link.site_id == site_id, Link.forecast == forecast)
        .order_by(Link.parameter, Link.id)
    )
    return [(WeatherParameter(parameter), ts_id, unit or "") for parameter, ts_id, unit in rows]


def _target_unit(parameter: WeatherParameter, ts_id: int, unit: str) -> str:
    """The timeseries' unit, or the parameter's reference unit when it has none; 409 when the
    parameter's values cannot be expressed in it."""
    target = unit or REFERENCE_UNITS[parameter]
    try:
        conversion(REFERENCE_UNITS[parameter], target)
    except (ConversionError, UnitError):
        raise Conflict(
            f"The unit '{unit}' of timeseries {ts_id} does not fit {parameter.value} "
            f"(in '{REFERENCE_UNITS[parameter]}' or a unit convertible to it)."
        ) from None
    return target


def _converted(
    provider: str, parameter: WeatherParameter, fetched: dict[Any, Any], target: str
) -> dict[datetime, float]:
    series = fetched.get(parameter)
    if series is None:
        raise ProviderFailed(provider, f"no values of {parameter.value}")
    try:
        scale, offset = conversion(series.unit, target)
    except (ConversionError, UnitError):
        raise ProviderFailed(
            provider, f"{parameter.value} in '{series.unit}', not convertible to '{target}'"
        ) from None
    values = {}
    for moment, value in series.points:
        converted = value * scale + offset
        if not storable(converted):
            raise ProviderFailed(provider, f"{parameter.value} value out of range: {value!r}")
        values[moment] = converted
    return values


async def _clean_state(db: Reader) -> int:
    state = (
        await db.execute(select(TimeseriesDataState.id).where(TimeseriesDataState.name == CLEAN))
    ).scalar()
    if state is None:
        raise Conflict(f"No data state named {CLEAN}.")
    return int(state)
