"""Weather: the timeseries of each site's weather parameters, and their download from a provider."""

from bemserver.domain import Domain

DOMAINS = (
    # The download is a site extra: right after the building model's routes, as the reference
    # lists it (tag Site).
    Domain("weather_site_extras", position=61, routes=("bemserver.weather.routes",)),
    # The link resource comes after the energy links in the reference's tag order.
    Domain(
        "weather",
        position=78,
        models=("bemserver.weather.models",),
        routes=("bemserver.weather.resources",),
        rules="bemserver.weather.rules",
        factories="tests.weather.factories",
    ),
)
