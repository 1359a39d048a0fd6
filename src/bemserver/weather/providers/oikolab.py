"""Oikolab (https://oikolab.com), the reference's provider: needs an API key.

The request and its parameter names and units are the reference's: one GET with a repeated
`param`, `lat`, `lon`, `start` and `end` (both included: `end` is the last wanted hour), `model`
era5 (measured) or gfs (forecast) and `api-key`. The answer's `data` is a JSON text in pandas'
"split" layout: `columns` ("<name> (<unit>)"), `index` (epoch seconds), `data` (rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bemserver.settings import Settings
from bemserver.weather.errors import MissingSettings, ProviderFailed
from bemserver.weather.parameters import WeatherParameter as P
from bemserver.weather.providers import Series
from bemserver.weather.providers.client import get_json

NAME = "oikolab"
URL = "https://api.oikolab.com/weather"
HOUR = timedelta(hours=1)

# Oikolab's name of each parameter and the unit of its values (pint symbols), as in the reference.
VARIABLES: dict[P, tuple[str, str]] = {
    P.AIR_TEMPERATURE: ("temperature", "degC"),
    P.DEWPOINT_TEMPERATURE: ("dewpoint_temperature", "degC"),
    P.WETBULB_TEMPERATURE: ("wetbulb_temperature", "degC"),
    P.WIND_SPEED: ("wind_speed", "m/s"),
    P.WIND_DIRECTION: ("wind_direction", "degree"),
    P.SURFACE_SOLAR_RADIATION: ("surface_solar_radiation", "W/m**2"),
    P.SURFACE_DIRECT_SOLAR_RADIATION: ("surface_direct_solar_radiation", "W/m**2"),
    P.SURFACE_DIFFUSE_SOLAR_RADIATION: ("surface_diffuse_solar_radiation", "W/m**2"),
    P.DIRECT_NORMAL_SOLAR_RADIATION: ("direct_normal_solar_radiation", "W/m**2"),
    P.RELATIVE_HUMIDITY: ("relative_humidity", ""),  # a fraction, 0 to 1
    P.SURFACE_PRESSURE: ("surface_pressure", "Pa"),
    P.TOTAL_PRECIPITATION: ("total_precipitation", "mm"),
}


@dataclass(frozen=True)
class Oikolab:
    api_key: str
    url: str = URL
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
        wanted = {parameter: VARIABLES[parameter][0] for parameter in parameters}
        params: list[tuple[str, Any]] = [("param", name) for name in wanted.values()]
        params += [
            ("lat", latitude),
            ("lon", longitude),
            ("start", start.astimezone(UTC).isoformat()),
            ("end", last_hour(end).isoformat()),
            ("model", "gfs" if forecast else "era5"),
            ("api-key", self.api_key),
        ]
        body = await get_json(
            NAME, self.url, params, self.timeout, error_reason=lambda error: error["message"]
        )
        return parse(body, wanted, start, end)


def last_hour(end: datetime) -> datetime:
    """The last hour before `end` (Oikolab includes its `end`; the download excludes it)."""
    end = end.astimezone(UTC)
    floor = end.replace(minute=0, second=0, microsecond=0)
    return floor - HOUR if floor == end else floor


def parse(body: Any, wanted: Mapping[P, str], start: datetime, end: datetime) -> dict[P, Series]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), str):
        raise ProviderFailed(NAME, "the answer has no 'data' text")
    try:
        table = orjson.loads(body["data"])
    except orjson.JSONDecodeError:
        raise ProviderFailed(NAME, "the answer's 'data' is not JSON") from None
    if not isinstance(table, dict):
        raise ProviderFailed(NAME, "the answer's 'data' is not a table")
    columns, index, rows = table.get("columns"), table.get("index"), table.get("data")
    if not (isinstance(columns, list) and isinstance(index, list) and isinstance(rows, list)):
        raise ProviderFailed(NAME, "the answer's 'data' lacks 'columns', 'index' or 'data'")
    if len(index) != len(rows) or any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
        raise ProviderFailed(NAME, "the answer's 'index', 'columns' and 'data' disagree")
    # "temperature (degC)" is the column of "temperature": the text before the first space.
    names = [column.split(" ", 1)[0] if isinstance(column, str) else None for column in columns]
    instants = [_instant(item) for item in index]
    kept = [position for position, moment in enumerate(instants) if start <= moment < end]
    found = {}
    for parameter, name in wanted.items():
        if name not in names:
            raise ProviderFailed(NAME, f"the answer has no column '{name}'")
        column = names.index(name)
        points = []
        for position in kept:
            value = rows[position][column]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ProviderFailed(NAME, f"'{name}' has a value that is no number: {value!r}")
            points.append((instants[position], float(value)))
        found[parameter] = Series(VARIABLES[parameter][1], points)
    return found


def _instant(item: Any) -> datetime:
    """An `index` item: epoch seconds, as a number or a numeric text."""
    try:
        if isinstance(item, bool):
            raise TypeError
        return datetime.fromtimestamp(int(item), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ProviderFailed(NAME, f"the answer's 'index' holds a time that is not one: {item!r}") from None


def from_settings(settings: Settings) -> Oikolab:
    if not settings.weather_api_key:
        raise MissingSettings()
    return Oikolab(settings.weather_api_key, settings.weather_api_url or URL, settings.weather_timeout)
