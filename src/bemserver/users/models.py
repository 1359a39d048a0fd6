"""Tables for users and groups (their membership table is in bemserver/memberships.py)."""

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin
from bemserver.memberships import UserByUserGroup

__all__ = ["User", "UserByUserGroup", "UserGroup"]


class User(IdMixin, Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(80), unique=True)
    password: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class UserGroup(IdMixin, Base):
    __tablename__ = "user_groups"
    name: Mapped[str] = mapped_column(String(80), unique=True)
