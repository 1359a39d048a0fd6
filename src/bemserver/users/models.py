"""Tables for users, groups and memberships."""

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin


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


class UserByUserGroup(IdMixin, Base):
    __tablename__ = "users_by_user_groups"
    __table_args__ = (UniqueConstraint("user_id", "user_group_id"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_group_id: Mapped[int] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), index=True)
