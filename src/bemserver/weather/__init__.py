"""Weather: the timeseries of each site's weather parameters, and their download from a provider."""

from bemserver.domain import Domain

# The link resource comes after the energy links in the reference's tag order; the download
# route (tag Site) right after the building model's routes, as the reference lists it.
DOMAINS = (
    Domain(
        "weather",
        position=78,
        models=("bemserver.weather.models",),
        routes=("bemserver.weather.resources",),
        rules="bemserver.weather.rules",
        factories="tests.weather.factories",
    ),
)
