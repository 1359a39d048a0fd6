"""Reference rows every installation has (looked up by name by clients and processes)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Table, insert, text

from bemserver.db.base import Base

# table name -> rows, inserted with explicit ids. Clients and processes look them up by name.
SEED_ROWS: dict[str, list[dict[str, Any]]] = {
    "timeseries_data_states": [{"id": 1, "name": "Raw"}, {"id": 2, "name": "Clean"}],
    "timeseries_properties": [
        {"id": 1, "name": "Min", "description": "Minimum expected value", "value_type": "float"},
        {"id": 2, "name": "Max", "description": "Maximum expected value", "value_type": "float"},
        {
            "id": 3,
            "name": "Interval",
            "description": "Expected interval",
            "value_type": "float",
            "unit_symbol": "s",
        },
    ],
    "event_categories": [
        {"id": 1, "name": "Data missing"},
        {"id": 2, "name": "Data present"},
        {"id": 3, "name": "Data outliers"},
        {"id": 4, "name": "No data outliers"},
    ],
    "energies": [
        {"id": number, "name": name}
        for number, name in enumerate(
            (
                "all",
                "electricity",
                "natural gas",
                "propane gas",
                "heating oil",
                "wood log",
                "wood pellet",
                "wood chips",
                "heating network",
                "cooling network",
            ),
            start=1,
        )
    ],
    "ener_end_uses": [
        {"id": number, "name": name}
        for number, name in enumerate(
            ("all", "heating", "cooling", "ventilation", "lighting", "appliances"), start=1
        )
    ],
    "ener_prod_techs": [
        {"id": number, "name": name}
        for number, name in enumerate(
            ("all", "PV panels", "wind turbines", "solar thermal collectors"), start=1
        )
    ],
}


def seed(connection: Connection, tables: list[str] | None = None) -> None:
    """Insert the seed rows of the given tables (all known ones by default), then fix sequences."""
    for name, rows in SEED_ROWS.items():
        if tables is not None and name not in tables:
            continue
        table: Table = Base.metadata.tables[name]
        # One statement per run of rows with the same keys: an executemany takes the first row's
        # keys for all, and would drop a key that only later rows have (Interval's unit "s").
        for _, same_keys in groupby(rows, key=lambda row: tuple(row)):
            connection.execute(insert(table), list(same_keys))
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
        )
