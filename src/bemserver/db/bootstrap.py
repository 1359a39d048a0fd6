"""Start-up work: reach the database, migrate it, create the first admin."""

from __future__ import annotations

import secrets

import psycopg
from sqlalchemy import create_engine, func, insert, pool, select

from bemserver.auth.passwords import hash_password
from bemserver.db.engine import normalize_url
from bemserver.settings import Settings
from bemserver.users.models import User


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


def ensure_first_admin(settings: Settings, database_url: str) -> tuple[str, str] | None:
    """On a database with no user, create the first admin. Returns (email, password) if generated."""
    engine = create_engine(normalize_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            if connection.scalar(select(func.count()).select_from(User)):
                return None
            email = settings.admin_email or "admin@localhost"
            password = settings.admin_password or secrets.token_urlsafe(12)
            connection.execute(
                insert(User).values(
                    name="Admin",
                    email=email,
                    password=hash_password(password),
                    is_admin=True,
                    is_active=True,
                )
            )
            return None if settings.admin_password else (email, password)
    finally:
        engine.dispose()
