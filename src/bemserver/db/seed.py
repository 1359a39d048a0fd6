"""Reference rows every installation has (looked up by name by clients and processes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert, text

from bemserver.db.base import Base

# table name -> rows, inserted with explicit ids in this order. Domains append their rows.
SEED_ROWS: dict[str, list[dict[str, Any]]] = {}


def seed(connection: Connection, tables: list[str] | None = None) -> None:
    """Insert the seed rows of the given tables (all known ones by default), then fix sequences."""
    for name, rows in SEED_ROWS.items():
        if tables is not None and name not in tables:
            continue
        table: Table = Base.metadata.tables[name]
        connection.execute(insert(table), rows)
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
        )
