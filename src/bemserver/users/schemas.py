"""User, group and membership documents."""

from typing import Annotated

from pydantic import Field

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import Email, Name
from bemserver.http.fields import ItemId as Id


class User(OutputSchema):
    id: int
    name: str
    email: str
    is_admin: bool
    is_active: bool


class UserWrite(InputSchema):
    name: Name
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=80, json_schema_extra={"writeOnly": True})]


class UserFilters(FilterSchema):
    name: str | None = None
    email: str | None = None
    is_admin: bool | None = None
    is_active: bool | None = None


class BooleanValue(InputSchema):
    value: bool


class UserGroup(OutputSchema):
    id: int
    name: str


class UserGroupWrite(InputSchema):
    name: Name


class UserGroupFilters(FilterSchema):
    name: str | None = None


class UserByUserGroup(OutputSchema):
    id: int
    user_id: int
    user_group_id: int


class UserByUserGroupWrite(InputSchema):
    user_id: Id
    user_group_id: Id


class UserByUserGroupFilters(FilterSchema):
    user_id: Id | None = None
    user_group_id: Id | None = None
