"""Start-up check: the database is reachable and recent enough."""

from __future__ import annotations

import psycopg

from bemserver.db.database import normalize_url


class DatabaseUnreachable(RuntimeError):
    pass


def check_connection(database_url: str) -> None:
    conninfo = normalize_url(database_url).replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(conninfo, connect_timeout=5) as connection:
            version = connection.info.server_version
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnreachable(f"Cannot connect to the database: {first_line}") from None
    if version < 150000:
        raise DatabaseUnreachable(f"PostgreSQL 15 or later is required (server is {version})")
