"""A small world of users around one campaign and one of its scopes, for the permission matrix.

Roles: an admin, a campaign member (in a group linked to the campaign), a scope-only member (in a
group linked to the scope), a non-member, and an inactive user who is a member of both. The rows
under test are made by the domains' test factories (tests/factories.py), whose rows all live in
that shared campaign and scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.permissions import Audience
from bemserver.users.models import User
from tests.campaigns.factories import shared_campaign, shared_scope
from tests.conftest import TestUser, Users
from tests.factories import Maker, Row, make_row

ROLES = ("admin", "campaign member", "scope-only member", "non-member", "inactive")


@dataclass
class World:
    maker: Maker
    roles: dict[str, TestUser]
    campaign_members: set[str]
    scope_members: set[str]
    groups_of: dict[str, set[int]]
    # Rows the world itself is made of, which are also the rows under test for their resources.
    rows: dict[str, Row] = field(default_factory=dict)

    def lets_through(self, audience: Audience, role: str, row: Row) -> bool:
        """Whether a non-admin role belongs to the audience of an operation on `row`."""
        user = self.roles[role]
        return {
            "everyone": True,
            "nobody": False,
            "campaign": role in self.campaign_members,
            "scope": role in self.scope_members,
            "groups": row.get("user_group_id") in self.groups_of[role],
            "own": row.get("user_id") == user.id,
        }[audience]


async def new_user(engine: AsyncEngine, name: str) -> TestUser:
    """An active non-admin user, inserted directly (hashing a password per test costs ~0.1 s)."""
    email = f"{name.replace(' ', '.').replace('-', '.')}@world.test"
    async with engine.begin() as connection:
        user_id = await connection.scalar(
            insert(User).values(name=name, email=email, password="not a hash").returning(User.id)
        )
    user = TestUser(user_id, name, email, is_admin=False, is_active=True)
    user.headers = {"Authorization": f"Bearer {user.token()}"}
    return user


async def make_world(client: Any, users: Users, engine: AsyncEngine) -> World:
    maker = Maker(client, users)
    campaign, scope = await shared_campaign(maker), await shared_scope(maker)
    campaign_link = await make_row(maker, "/user_groups_by_campaigns/", 0)
    scope_link = await make_row(maker, "/user_groups_by_campaign_scopes/", 0)
    roles = {
        "admin": users.admin,
        "campaign member": await new_user(engine, "campaign member"),
        "scope-only member": await new_user(engine, "scope-only member"),
        "non-member": users.active,
        "inactive": users.inactive,
    }
    campaign_group, scope_group = campaign_link["user_group_id"], scope_link["user_group_id"]
    groups_of: dict[str, set[int]] = {role: set() for role in ROLES}
    for role, group in (
        ("campaign member", campaign_group),
        ("scope-only member", scope_group),
        ("inactive", campaign_group),
        ("inactive", scope_group),
    ):
        await maker.create("/users_by_user_groups/", user_id=roles[role].id, user_group_id=group)
        groups_of[role].add(group)
    return World(
        maker,
        roles,
        campaign_members={"campaign member", "inactive"},
        scope_members={"scope-only member", "inactive"},
        groups_of=groups_of,
        rows={
            "/campaigns/": campaign,
            "/campaign_scopes/": scope,
            "/user_groups_by_campaigns/": campaign_link,
            "/user_groups_by_campaign_scopes/": scope_link,
        },
    )
