"""Timeseries metadata: properties, data states, timeseries, their links to the building model."""

from bemserver.domain import Domain

# The links to the building model come after it in the reference's tag order.
DOMAINS = (
    Domain(
        "timeseries",
        position=40,
        models=("bemserver.timeseries.models",),
        routes=("bemserver.timeseries.resources",),
        rules="bemserver.timeseries.rules",
        factories="tests.timeseries.factories",
    ),
    Domain(
        "timeseries_links",
        position=70,
        routes=("bemserver.timeseries.links",),
        factories="tests.timeseries.factories",
    ),
)
