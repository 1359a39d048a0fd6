"""Open-Meteo (https://open-meteo.com), the default provider: no key for non-commercial use.

Measured values (forecast=false) come from the historical archive API (reanalysis, from 1940 to
a few days ago), completed for the last days by the forecast API's past hours; forecasts come
from the forecast API (about 3 months back to 16 days ahead). Each GET asks `hourly` variables
for whole UTC days, with epoch-second times; the wanted hours are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bemserver.http.errors import Conflict
from bemserver.settings import Settings
from bemserver.units import ConversionError, UnitError, conversion, parse_unit
from bemserver.weather.errors import ProviderFailed
from bemserver.weather.parameters import REFERENCE_UNITS
from bemserver.weather.parameters import WeatherParameter as P
from bemserver.weather.providers import Series
from bemserver.weather.providers.client import get_json

NAME = "open-meteo"
ARCHIVE_URL = "https://archive-api.open-meteo.com"
FORECAST_URL = "https://api.open-meteo.com"

VARIABLES: dict[P, str] = {
    P.AIR_TEMPERATURE: "temperature_2m",
    P.DEWPOINT_TEMPERATURE: "dew_point_2m",
    P.WETBULB_TEMPERATURE: "wet_bulb_temperature_2m",
    P.WIND_SPEED: "wind_speed_10m",
    P.WIND_DIRECTION: "wind_direction_10m",
    P.SURFACE_SOLAR_RADIATION: "shortwave_radiation",
    P.SURFACE_DIRECT_SOLAR_RADIATION: "direct_radiation",
    P.SURFACE_DIFFUSE_SOLAR_RADIATION: "diffuse_radiation",
    P.DIRECT_NORMAL_SOLAR_RADIATION: "direct_normal_irradiance",
    P.RELATIVE_HUMIDITY: "relative_humidity_2m",
    P.SURFACE_PRESSURE: "surface_pressure",
    P.TOTAL_PRECIPITATION: "precipitation",
}

# The unit strings of `hourly_units`, as pint symbols.
UNITS = {
    "°C": "degC",
    "°F": "degF",
    "%": "percent",
    "hPa": "hPa",
    "Pa": "Pa",
    "km/h": "km/h",
    "m/s": "m/s",
    "mp/h": "mph",
    "mph": "mph",
    "kn": "knot",
    "°": "degree",
    "W/m²": "W/m**2",
    "mm": "mm",
    "inch": "inch",
    "cm": "cm",
}

ARCHIVE_FIRST_DAY = date(1940, 1, 1)
ARCHIVE_LAG = timedelta(days=7)  # the archive's latest days may have no values yet
HOUR = timedelta(hours=1)
FORECAST_PAST_DAYS = 92
FORECAST_DAYS = 16


@dataclass(frozen=True)
class OpenMeteo:
    archive_url: str = ARCHIVE_URL
    forecast_url: str = FORECAST_URL
    api_key: str | None = None  # commercial plans only
    timeout: float = 60.0
    name: str = NAME

    def lacks(self, parameters: Sequence[P]) -> list[P]:
        return [parameter for parameter in parameters if parameter not in VARIABLES]

    async def fetch(
        self,
        latitude: float,
        longitude: float,
        start: datetime,
        end: datetime,
        parameters: Sequence[P],
        forecast: bool,
    ) -> dict[P, Series]:
        wanted = {parameter: VARIABLES[parameter] for parameter in parameters}
        place = (latitude, longitude)
        if forecast:
            return await self._ask("forecast", place, wanted, start, end)
        measured = await self._ask("archive", place, wanted, start, end)
        # The archive lags a few days behind: the recent past it lacks comes from the forecast
        # API's past days (Open-Meteo's advice for the latest days), never hours still to come.
        now = datetime.now(UTC)
        recent = (max(start, now - ARCHIVE_LAG), min(end, now))
        if recent[0] < recent[1] and any(_lacks_hours(measured[p], *recent) for p in parameters):
            latest = await self._ask("forecast", place, wanted, *recent)
            measured = {
                parameter: _completed(measured[parameter], latest[parameter]) for parameter in parameters
            }
        return measured

    async def _ask(
        self, api: str, place: tuple[float, float], wanted: Mapping[P, str], start: datetime, end: datetime
    ) -> dict[P, Series]:
        """One GET to the archive or forecast API, for the days of [start, end) that it serves."""
        days = _days_served(start, end, api == "forecast")
        if days is None:  # the period is beyond what the API serves
            return {parameter: Series(REFERENCE_UNITS[parameter], []) for parameter in wanted}
        base = self.forecast_url if api == "forecast" else self.archive_url
        params: list[tuple[str, Any]] = [
            ("latitude", place[0]),
            ("longitude", place[1]),
            ("hourly", ",".join(wanted.values())),
            ("start_date", days[0].isoformat()),
            ("end_date", days[1].isoformat()),
            ("timezone", "GMT"),
            ("timeformat", "unixtime"),
            ("wind_speed_unit", "ms"),
        ]
        if self.api_key:
            params.append(("apikey", self.api_key))
        url = f"{base.rstrip('/')}/v1/{api}"
        body = await get_json(NAME, url, params, self.timeout, error_reason=lambda error: error["reason"])
        return parse(body, wanted, start, end)


def _lacks_hours(series: Series, start: datetime, end: datetime) -> bool:
    """Whether some whole hour of [start, end) has no value."""
    first = start.replace(minute=0, second=0, microsecond=0)
    first += HOUR if first < start else timedelta(0)
    wanted = (end - first + HOUR - timedelta(microseconds=1)) // HOUR if end > first else 0
    return sum(1 for moment, _ in series.points if first <= moment < end) < wanted


def _completed(measured: Series, latest: Series) -> Series:
    """The archive's values, and the forecast API's at the hours the archive has none."""
    if not latest.points:
        return measured
    if not measured.points:
        return latest
    try:
        scale, offset = conversion(latest.unit, measured.unit)
    except (ConversionError, UnitError):
        raise ProviderFailed(NAME, f"the APIs answer in '{latest.unit}' and '{measured.unit}'") from None
    found = dict(measured.points)
    for moment, value in latest.points:
        found.setdefault(moment, value * scale + offset)
    return Series(measured.unit, sorted(found.items()))


def _days_served(start: datetime, end: datetime, forecast: bool) -> tuple[date, date] | None:
    """The UTC days (both included) to ask for, within those the API serves (None: none of them)."""
    today = datetime.now(UTC).date()
    if forecast:
        low, high = today - timedelta(days=FORECAST_PAST_DAYS), today + timedelta(days=FORECAST_DAYS - 1)
    else:
        low, high = ARCHIVE_FIRST_DAY, today
    first = max(start.astimezone(UTC).date(), low)
    last = min((end - timedelta(microseconds=1)).astimezone(UTC).date(), high)
    return (first, last) if first <= last else None


def parse(body: Any, wanted: Mapping[P, str], start: datetime, end: datetime) -> dict[P, Series]:
    """The series of an answer (Open-Meteo's JSON: `hourly` arrays aligned on `hourly.time`)."""
    if not isinstance(body, dict) or not isinstance(body.get("hourly"), dict):
        raise ProviderFailed(NAME, "the answer has no 'hourly' object")
    hourly, units = body["hourly"], body.get("hourly_units")
    if not isinstance(units, dict):
        raise ProviderFailed(NAME, "the answer has no 'hourly_units' object")
    times = _instants(hourly.get("time"), body.get("utc_offset_seconds", 0))
    kept = [position for position, moment in enumerate(times) if start <= moment < end]
    found = {}
    for parameter, variable in wanted.items():
        values = hourly.get(variable)
        if not isinstance(values, list) or len(values) != len(times):
            raise ProviderFailed(NAME, f"the answer has no {len(times)} values of '{variable}'")
        points = []
        for position in kept:
            value = values[position]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ProviderFailed(NAME, f"'{variable}' has a value that is no number: {value!r}")
            points.append((times[position], float(value)))
        found[parameter] = Series(_unit(units.get(variable), variable), points)
    return found


def _instants(times: Any, offset: Any) -> list[datetime]:
    """`hourly.time`: epoch seconds, or local ISO 8601 times at `utc_offset_seconds`."""
    if not isinstance(times, list):
        raise ProviderFailed(NAME, "the answer has no 'hourly.time' array")
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise ProviderFailed(NAME, f"'utc_offset_seconds' is no integer: {offset!r}")
    instants = []
    try:
        for time in times:
            if isinstance(time, int) and not isinstance(time, bool):
                instants.append(datetime.fromtimestamp(time, UTC))
            elif isinstance(time, str):
                local = datetime.fromisoformat(time)
                if local.tzinfo is not None:
                    raise ValueError(time)
                instants.append(local.replace(tzinfo=UTC) - timedelta(seconds=offset))
            else:
                raise ValueError(time)
    except (ValueError, OverflowError, OSError):
        raise ProviderFailed(NAME, f"'hourly.time' holds a time that is not one: {time!r}") from None
    return instants


def _unit(text: Any, variable: str) -> str:
    if isinstance(text, str):
        symbol = UNITS.get(text, text)
        try:
            parse_unit(symbol)
            return symbol
        except UnitError:
            pass
    raise ProviderFailed(NAME, f"unknown unit of '{variable}': {text!r}")


def from_settings(settings: Settings) -> OpenMeteo:
    urls = [url.strip() for url in (settings.weather_api_url or "").split(",") if url.strip()]
    if len(urls) > 2:
        raise Conflict("Invalid weather API URL: Open-Meteo takes one base URL, or two (archive, forecast).")
    if not urls:
        urls = [ARCHIVE_URL, FORECAST_URL]
    return OpenMeteo(urls[0], urls[-1], settings.weather_api_key or None, settings.weather_timeout)
