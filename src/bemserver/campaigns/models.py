"""Tables for campaigns and scopes (their user-group links are in bemserver/memberships.py)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin
from bemserver.memberships import UserGroupByCampaign, UserGroupByCampaignScope

__all__ = ["Campaign", "CampaignScope", "UserGroupByCampaign", "UserGroupByCampaignScope"]


class Campaign(IdMixin, Base):
    __tablename__ = "campaigns"
    name: Mapped[str] = mapped_column(String(80), unique=True)
    start_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(String(40), server_default="UTC")
    description: Mapped[str | None] = mapped_column(String(500))


class CampaignScope(IdMixin, Base):
    __tablename__ = "campaign_scopes"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
