"""Two campaigns: "Campaign" with two scopes and a building tree, "Other" with one scope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.users.models import User
from tests.helpers import create

# A campaign, its scope, a second scope and a building tree: the same fixtures as the timeseries tests'.
from tests.timeseries.conftest import campaign, other_scope, scope, tree  # noqa: F401


@pytest.fixture
async def other_campaign(client, admin) -> dict[str, Any]:
    return await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")


@pytest.fixture
async def foreign_scope(client, admin, other_campaign) -> dict[str, Any]:
    """A scope of the other campaign."""
    return await create(
        client, "/campaign_scopes/", admin.headers, name="Foreign", campaign_id=other_campaign["id"]
    )


async def new_event(client, headers, scope_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "timestamp": "2020-01-01T00:00:00+00:00",
        "level": "INFO",
        "campaign_scope_id": scope_id,
        "category_id": 1,
        "source": "test",
    }
    return await create(client, "/events/", headers, **(body | fields))


async def add_user(engine: AsyncEngine, name: str) -> int:
    """An active non-admin user, inserted directly; its id."""
    async with engine.begin() as connection:
        return await connection.scalar(
            insert(User)
            .values(name=name, email=f"{name.replace(' ', '.')}@events.test", password="-")
            .returning(User.id)
        )
