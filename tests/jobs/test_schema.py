"""Procrastinate's schema comes with our migrations, and the tests' table emptying handles it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import procrastinate
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.db.migrate import alembic_config, upgrade
from bemserver.jobs import enqueue
from tests.conftest import reset_database

TABLES = [
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
]
# The last of procrastinate's own schema migrations that migration 0007 covers (see its docstring).
LAST_PROCRASTINATE_MIGRATION = "03.04.00_50_post_add_retry_failed_job_procedure.sql"


async def tables(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        found = await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'procrastinate%' ORDER BY 1")
        )
        return list(found.scalars())


async def test_the_migrations_create_the_job_queue(engine: AsyncEngine):
    assert await tables(engine) == TABLES


def test_no_procrastinate_schema_change_is_missing():
    """Fails when an upgraded procrastinate brings a schema migration: add one of ours for it."""
    shipped = sorted(
        path.name for path in (Path(procrastinate.__file__).parent / "sql" / "migrations").glob("*.sql")
    )
    assert shipped[-1] == LAST_PROCRASTINATE_MIGRATION


async def test_downgrade_drops_it_and_upgrade_brings_it_back(
    app: Any, engine: AsyncEngine, database_url: str
):
    # No pooled connection of either engine may keep statements prepared on the dropped objects.
    readers = app.state.database.autocommit_engine
    await engine.dispose()
    await readers.dispose()
    command.downgrade(alembic_config(database_url), "0006")
    try:
        assert await tables(engine) == []
        async with engine.connect() as connection:
            leftovers = await connection.scalar(
                text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'")
            )
            leftovers += await connection.scalar(
                text("SELECT count(*) FROM pg_type WHERE typname LIKE '%procrastinate%'")
            )
        assert leftovers == 0
    finally:
        await engine.dispose()
        await readers.dispose()
        upgrade(database_url)
    assert await tables(engine) == TABLES


async def test_emptying_the_tables_empties_the_queue(engine: AsyncEngine):
    async with engine.begin() as connection:
        await connection.execute(text("SELECT procrastinate_register_worker_v1()"))
        job_id = await enqueue(connection, "send_mail", to=["a@b.org"], subject="s", body="b")
        await connection.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = (SELECT max(id) FROM procrastinate_workers) WHERE id = :id"
            ),
            {"id": job_id},
        )
    await reset_database(engine)
    async with engine.connect() as connection:
        for table in TABLES:
            assert await connection.scalar(text(f"SELECT count(*) FROM {table}")) == 0
