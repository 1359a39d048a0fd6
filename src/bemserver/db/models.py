"""Import every domain's tables so that Base.metadata knows them all (Alembic, tests)."""

import importlib

MODEL_MODULES = (
    "bemserver.users.models",
    "bemserver.campaigns.models",
    "bemserver.structure.models",
    "bemserver.timeseries.models",
    "bemserver.timeseries_data.models",
    "bemserver.timeseries_data.rollup_models",
)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
