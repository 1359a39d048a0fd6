"""The Database outside HTTP: units of work and readers as CLI commands and background jobs use them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, insert, select

from bemserver import permissions
from bemserver.auth.caller import SYSTEM
from bemserver.campaigns.models import Campaign
from bemserver.db.database import Database
from bemserver.db.driver import as_dicts
from bemserver.users.models import UserGroup
from tests.conftest import Users


@pytest.fixture
async def database(database_url: str, users: Users) -> AsyncIterator[Database]:
    made = Database(database_url, pool_size=1)
    yield made
    await made.dispose()


async def group_names(database: Database) -> list[str]:
    async with database.reader() as connection:
        return list((await connection.scalars(select(UserGroup.name).order_by(UserGroup.name))).all())


async def test_a_unit_of_work_commits_when_it_ends(database: Database):
    async with database.unit_of_work() as session:
        await session.execute(insert(UserGroup).values(name="Committed"))
        assert await group_names(database) == []  # not yet: the transaction is open
    assert await group_names(database) == ["Committed"]


async def test_a_unit_of_work_rolls_back_when_it_raises(database: Database):
    with pytest.raises(LookupError):
        async with database.unit_of_work() as session:
            await session.execute(insert(UserGroup).values(name="Rolled back"))
            raise LookupError
    assert await group_names(database) == []


async def test_a_reader_writes_each_statement_at_once(database: Database):
    async with database.reader() as connection:
        await connection.execute(insert(UserGroup).values(name="Autocommitted"))
    async with database.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(UserGroup)) == 1


async def test_the_system_caller_passes_every_permission_filter(database: Database):
    permissions.declare_rules()
    async with database.unit_of_work() as session:
        await session.execute(insert(Campaign).values(name="Nobody's campaign"))
    assert SYSTEM.is_admin and SYSTEM.is_active and SYSTEM.email == "system"
    async with database.reader() as connection:
        for check in (
            permissions.read_filter,
            permissions.create_filter,
            permissions.update_filter,
            permissions.delete_filter,
        ):
            found = await connection.scalars(select(Campaign.name).where(check(Campaign, SYSTEM)))
            assert found.all() == ["Nobody's campaign"]
    assert all(permissions.may(Campaign, SYSTEM, op) for op in ("read", "create", "update", "delete"))


async def test_rows_as_dicts_keep_their_labels_order_and_values(database: Database):
    async with database.reader() as connection:
        result = await connection.execute(
            select(func.generate_series(1, 3).label("n"), (func.generate_series(1, 3) * 2).label("double"))
        )
        assert as_dicts(result) == [{"n": 1, "double": 2}, {"n": 2, "double": 4}, {"n": 3, "double": 6}]
        empty = await connection.execute(select(UserGroup.id, UserGroup.name).where(UserGroup.id < 0))
        assert as_dicts(empty) == []
