"""CSV imports of the building model and of timeseries descriptions."""

from bemserver.domain import Domain

DOMAIN = Domain("io", position=80, routes=("bemserver.io.sites", "bemserver.io.timeseries"))
