"""Weather links are read by whoever may read their timeseries and written by admins; weather
downloads are for admins only (checked by the service)."""

from bemserver.permissions import readable_through, rule
from bemserver.timeseries.models import Timeseries
from bemserver.weather.models import WeatherTimeseriesBySite


def rules() -> None:
    rule(WeatherTimeseriesBySite, readable_through(WeatherTimeseriesBySite.timeseries_id, Timeseries))
