"""/users/, /user_groups/ and /users_by_user_groups/."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.auth.passwords import hash_password, password_matches
from bemserver.crud import Hooks, Resource
from bemserver.users import models, schemas
from bemserver.users.guard import keep_an_active_admin, void_tokens
from bemserver.users.models import User


async def _hash_password(
    session: AsyncSession, _: Caller, values: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    """Store the password's hash; on PUT, a password other than the stored one voids the user's
    tokens (the same one keeps its hash: a PUT must send the password, even unchanged)."""
    if current is not None:
        stored = await session.scalar(select(User.password).where(User.id == current["id"]))
        if stored is not None and await password_matches(stored, values["password"]):
            return {key: value for key, value in values.items() if key != "password"}
        await void_tokens(session, current["id"])
    return values | {"password": hash_password(values["password"])}


async def _keep_an_admin(session: AsyncSession, _: Caller, current: dict[str, Any]) -> None:
    await keep_an_active_admin(session, current["id"], "deleted")


USERS = Resource(
    "/users/",
    models.User,
    schemas.User,
    tag="User",
    name="user",
    create=schemas.UserWrite,
    update=schemas.UserWrite,
    filters=schemas.UserFilters,
    sort=("name", "email", "is_admin", "is_active"),
    hooks=Hooks(before_write=_hash_password, before_delete=_keep_an_admin),
)

USER_GROUPS = Resource(
    "/user_groups/",
    models.UserGroup,
    schemas.UserGroup,
    tag="UserGroup",
    name="user_group",
    create=schemas.UserGroupWrite,
    update=schemas.UserGroupWrite,
    filters=schemas.UserGroupFilters,
    sort=("name",),
)

USERS_BY_USER_GROUPS = Resource(
    "/users_by_user_groups/",
    models.UserByUserGroup,
    schemas.UserByUserGroup,
    tag="UserByUserGroup",
    name="user_by_user_group",
    create=schemas.UserByUserGroupWrite,
    filters=schemas.UserByUserGroupFilters,
    etag=False,
)

RESOURCES = (USERS, USER_GROUPS, USERS_BY_USER_GROUPS)
