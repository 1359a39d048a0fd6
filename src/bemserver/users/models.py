"""Tables for users and groups (their membership table is in bemserver/memberships.py), the
refresh token families and the failed logins counted by the rate limit."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin
from bemserver.memberships import UserByUserGroup

__all__ = ["LoginFailures", "TokenFamily", "User", "UserByUserGroup", "UserGroup"]


class User(IdMixin, Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(80))
    password: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Raised to void every token issued before (deactivation, demotion, new password).
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # E-mails are unique regardless of case.
    __table_args__ = (Index("uq_users_email", func.lower(email), unique=True),)


class UserGroup(IdMixin, Base):
    __tablename__ = "user_groups"
    name: Mapped[str] = mapped_column(String(80))
    __table_args__ = (Index("uq_user_groups_name", func.lower(name), unique=True),)


class TokenFamily(Base):
    """The refresh tokens descending from one login: only the newest (`current_jti`) may be used;
    presenting an older one deletes the family, which voids its access tokens too."""

    __tablename__ = "token_families"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    current_jti: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginFailures(Base):
    """Failed logins per key ("account:<email>" or "address:<ip>") in the current window."""

    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer)
