"""Who is notified of an event: the members of its campaign scope, by the level rule of core §4.3.

The matrix: users by membership (the event's scope, it twice, the other scope of the campaign, the
campaign only, a scope of another campaign, no group) times their preference for the event's
category (none, each level, or only for another category), times the event's level.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bemserver.events.models import LEVELS, EventCategoryByUser, Notification
from bemserver.events.service import create_event
from bemserver.memberships import UserByUserGroup, UserGroupByCampaign, UserGroupByCampaignScope
from bemserver.users.models import UserGroup
from tests.conftest import make_settings
from tests.events.conftest import add_user, new_event
from tests.helpers import sql_statements

MEMBERSHIPS = ("scope", "scope twice", "other scope", "campaign only", "other campaign", "none")
PREFERENCES = (None, *LEVELS, "other category")
CATEGORY, OTHER_CATEGORY = 2, 3


def expected(membership: str, preference: str | None, level: str) -> bool:
    if membership not in ("scope", "scope twice"):
        return False
    if preference is None or preference == "other category":
        return LEVELS.index(level) >= LEVELS.index("WARNING")
    return LEVELS.index(preference) <= LEVELS.index(level)


async def _group(
    connection, name: str, *, scope_id: int | None = None, campaign_id: int | None = None
) -> int:
    group_id = await connection.scalar(insert(UserGroup).values(name=name).returning(UserGroup.id))
    if scope_id is not None:
        await connection.execute(
            insert(UserGroupByCampaignScope).values(user_group_id=group_id, campaign_scope_id=scope_id)
        )
    if campaign_id is not None:
        await connection.execute(
            insert(UserGroupByCampaign).values(user_group_id=group_id, campaign_id=campaign_id)
        )
    return group_id


@pytest.fixture
async def population(
    engine: AsyncEngine, campaign, scope, other_scope, foreign_scope, other_campaign
) -> dict:
    """user id -> (membership, preference)."""
    async with engine.begin() as connection:
        groups = {
            "scope": [await _group(connection, "S", scope_id=scope["id"])],
            "other scope": [await _group(connection, "O", scope_id=other_scope["id"])],
            "campaign only": [await _group(connection, "C", campaign_id=campaign["id"])],
            "other campaign": [await _group(connection, "F", scope_id=foreign_scope["id"])],
            "none": [],
        }
        groups["scope twice"] = [groups["scope"][0], await _group(connection, "S2", scope_id=scope["id"])]
    people = {}
    for number, (membership, preference) in enumerate(itertools.product(MEMBERSHIPS, PREFERENCES)):
        user_id = await add_user(engine, f"user {number}")
        people[user_id] = (membership, preference)
        async with engine.begin() as connection:
            for group_id in groups[membership]:
                await connection.execute(
                    insert(UserByUserGroup).values(user_id=user_id, user_group_id=group_id)
                )
            if preference is not None:
                category = OTHER_CATEGORY if preference == "other category" else CATEGORY
                level = "DEBUG" if preference == "other category" else preference
                await connection.execute(
                    insert(EventCategoryByUser).values(
                        user_id=user_id, category_id=category, notification_level=level
                    )
                )
    return people


async def notified(engine: AsyncEngine, event_id: int) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(Notification.user_id).where(Notification.event_id == event_id))
        return sorted(rows.scalars())


@pytest.mark.parametrize("level", LEVELS)
async def test_the_fanout_matrix(client, admin, engine, scope, campaign, population, level):
    event = await new_event(client, admin.headers, scope["id"], level=level, category_id=CATEGORY)
    # The notifications exist when the POST returns.
    got = await notified(engine, event["id"])
    want = sorted(
        user for user, (membership, pref) in population.items() if expected(membership, pref, level)
    )
    assert got == want
    assert len(set(got)) == len(got)  # one notification per user, even in the scope through two groups
    outsiders = {
        user for user, (membership, _) in population.items() if membership not in ("scope", "scope twice")
    }
    assert not outsiders & set(got)
    async with engine.connect() as connection:
        campaigns = set(
            (
                await connection.execute(
                    select(Notification.campaign_id).where(Notification.event_id == event["id"])
                )
            ).scalars()
        )
    assert campaigns <= {campaign["id"]}


async def test_one_statement_whatever_the_number_of_users(client, admin, engine, scope):
    """200 members: the notifications come from one INSERT … SELECT."""
    async with engine.begin() as connection:
        group_id = await _group(connection, "Many", scope_id=scope["id"])
    for number in range(200):
        user_id = await add_user(engine, f"member {number}")
        async with engine.begin() as connection:
            await connection.execute(insert(UserByUserGroup).values(user_id=user_id, user_group_id=group_id))
    await new_event(client, admin.headers, scope["id"], level="DEBUG")  # connections opened
    with sql_statements() as statements:
        event = await new_event(client, admin.headers, scope["id"], level="ERROR")
    assert len(await notified(engine, event["id"])) == 200
    # The caller's check, the event (its row returned) and the notifications: one statement
    assert len(statements) == 1, statements
    assert "INSERT INTO events" in statements[0] and "INSERT INTO notifications" in statements[0]


async def test_no_trigger_on_notifications_runs_per_row(engine):
    """Whatever inserts notifications pays per statement, not per notified user: no row-level
    trigger (a foreign key's check is one, migration 0016 dropped it) on the table."""
    async with engine.connect() as connection:
        per_row = (
            await connection.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'notifications'::regclass"
                    " AND tgtype & 1 = 1"  # TRIGGER_TYPE_ROW
                )
            )
        ).scalars()
        assert list(per_row) == []


async def test_create_event_from_python_notifies_in_the_same_transaction(engine, scope, population):
    """The service other code uses (tasks, imports): same rows, same notifications."""
    async with AsyncSession(engine) as session, session.begin():
        event = await create_event(
            session,
            make_settings(),
            {
                "timestamp": datetime(2020, 1, 1, tzinfo=UTC),
                "level": "ERROR",
                "campaign_scope_id": scope["id"],
                "category_id": CATEGORY,
                "source": "a task",
                "description": None,
            },
        )
        assert event["level"] == "ERROR"
    want = sorted(
        user for user, (membership, pref) in population.items() if expected(membership, pref, "ERROR")
    )
    assert await notified(engine, event["id"]) == want
