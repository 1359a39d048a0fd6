"""The timeseries data engine: ingest, raw reads, aggregates, stats, deletes (JSON and CSV)."""

from bemserver.domain import Domain

DOMAIN = Domain(
    "timeseries_data",
    position=50,
    models=(
        "bemserver.timeseries_data.models",
        "bemserver.timeseries_data.rollup_models",
        "bemserver.timeseries_data.import_models",
    ),
    routes=(
        "bemserver.timeseries_data.routes",
        "bemserver.timeseries_data.aggregate_routes",
        "bemserver.timeseries_data.import_routes",
    ),
    tasks=("bemserver.timeseries_data.refresh_job",),
)
