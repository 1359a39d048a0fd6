"""Events: categories, events, their links to timeseries and locations, notifications."""

from bemserver.domain import Domain

# After the timeseries data and before the building model, as in the reference's tag order.
DOMAIN = Domain(
    "events",
    position=55,
    models=("bemserver.events.models",),
    routes=(
        "bemserver.events.resources",
        "bemserver.events.links",
        "bemserver.events.notifications",
        "bemserver.events.streams",
    ),
    rules="bemserver.events.rules",
    factories="tests.events.factories",
    tasks=("bemserver.events.mailing", "bemserver.events.counting"),
)
