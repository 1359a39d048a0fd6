"""/users/, /user_groups/ and /users_by_user_groups/."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.auth.passwords import hash_password
from bemserver.crud import Hooks, Resource
from bemserver.users import models, schemas


async def _hash_password(
    _: AsyncSession, __: Caller, values: dict[str, Any], ___: dict[str, Any] | None
) -> dict[str, Any]:
    return values | {"password": hash_password(values["password"])}


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
    hooks=Hooks(before_write=_hash_password),
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
