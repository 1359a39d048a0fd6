"""Weather providers behind one small interface.

A provider maps the reference's weather parameters to its own variables and fetches them for a
point and a period: per parameter, the hourly values in [start, end) as (UTC instant, value)
pairs in time order, with their unit (a pint symbol). Values the provider does not have (nulls)
are left out. Failures are the errors of bemserver.weather.errors (409, 502, 504).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bemserver.settings import Settings
from bemserver.weather.parameters import WeatherParameter


@dataclass(frozen=True)
class Series:
    unit: str  # pint symbol of the values, e.g. "degC", "percent", "" for a fraction
    points: list[tuple[datetime, float]]  # UTC instants, ascending


class Provider(Protocol):
    name: str

    def lacks(self, parameters: Sequence[WeatherParameter]) -> list[WeatherParameter]:
        """The parameters it cannot give."""
        ...

    async def fetch(
        self,
        latitude: float,
        longitude: float,
        start: datetime,
        end: datetime,
        parameters: Sequence[WeatherParameter],
        forecast: bool,
    ) -> dict[WeatherParameter, Series]:
        """Hourly values in [start, end) of each parameter: measured (reanalysis) or forecast."""
        ...


def provider_from(settings: Settings) -> Provider:
    """The provider the settings name, with its URL(s), key and timeout (409 when incomplete)."""
    from bemserver.weather.providers import oikolab, open_meteo

    if settings.weather_provider == "oikolab":
        return oikolab.from_settings(settings)
    return open_meteo.from_settings(settings)
