"""Factories of the users domain's resources (see tests/factories.py)."""

from __future__ import annotations

from tests.factories import Maker, Row, factory

# -- users and groups ----------------------------------------------------------------------------


@factory("/users/")
async def user(maker: Maker, n: int) -> Row:
    return {"name": f"User {n}", "email": f"user{n}@factory.test", "password": f"password {n}"}


@factory("/user_groups/")
async def user_group(maker: Maker, n: int) -> Row:
    return {"name": f"Group {n}"}


@factory("/users_by_user_groups/")
async def user_by_user_group(maker: Maker, n: int) -> Row:
    group = await maker.create("/user_groups/", name=f"Membership group {n}")
    return {"user_id": maker.users.active.id, "user_group_id": group["id"]}
