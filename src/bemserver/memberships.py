"""The membership tables: who is in which user group, and which groups see which campaign or scope.
Used by the users and campaigns domains and by permissions.py: here, below all, nothing imports upward.
"""

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin


class UserByUserGroup(IdMixin, Base):
    __tablename__ = "users_by_user_groups"
    __table_args__ = (UniqueConstraint("user_id", "user_group_id"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_group_id: Mapped[int] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), index=True)


class UserGroupByCampaign(IdMixin, Base):
    __tablename__ = "user_groups_by_campaigns"
    __table_args__ = (UniqueConstraint("campaign_id", "user_group_id"),)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_group_id: Mapped[int] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), index=True)


class UserGroupByCampaignScope(IdMixin, Base):
    __tablename__ = "user_groups_by_campaign_scopes"
    __table_args__ = (UniqueConstraint("campaign_scope_id", "user_group_id"),)
    campaign_scope_id: Mapped[int] = mapped_column(ForeignKey("campaign_scopes.id", ondelete="CASCADE"))
    user_group_id: Mapped[int] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), index=True)
