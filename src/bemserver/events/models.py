"""Tables for events, their categories, their links and the notifications they fan out to."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin

# Declared in this order, so that PostgreSQL orders and compares levels: `level >= 'WARNING'`.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EVENT_LEVEL = Enum(*LEVELS, name="event_level")


def _fk(table: str, index: bool = False) -> Mapped[int]:
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=index)


class EventCategory(IdMixin, Base):
    __tablename__ = "event_categories"
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(250))


class Event(IdMixin, Base):
    __tablename__ = "events"
    __table_args__ = (
        # Lists by scope (a campaign is a few scopes) and time range; `level` in the index
        # filters level_min, and `id` finds the page and the total, without reading the rows.
        Index("ix_events_scope_time", "campaign_scope_id", "timestamp", "level", postgresql_include=["id"]),
        Index("ix_events_timestamp", "timestamp"),
    )
    campaign_scope_id: Mapped[int] = _fk("campaign_scopes")
    category_id: Mapped[int] = _fk("event_categories", index=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(EVENT_LEVEL)


class EventCategoryByUser(IdMixin, Base):
    """A user's notification level for one category (their preference)."""

    __tablename__ = "event_categories_by_users"
    __table_args__ = (UniqueConstraint("user_id", "category_id"),)
    user_id: Mapped[int] = _fk("users")
    category_id: Mapped[int] = _fk("event_categories", index=True)
    notification_level: Mapped[str] = mapped_column(EVENT_LEVEL)


class TimeseriesByEvent(IdMixin, Base):
    __tablename__ = "timeseries_by_events"
    __table_args__ = (UniqueConstraint("event_id", "timeseries_id"),)
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)
    event_id: Mapped[int] = _fk("events")


class EventBySite(IdMixin, Base):
    __tablename__ = "events_by_sites"
    __table_args__ = (UniqueConstraint("site_id", "event_id"),)
    site_id: Mapped[int] = _fk("sites")
    event_id: Mapped[int] = _fk("events", index=True)


class EventByBuilding(IdMixin, Base):
    __tablename__ = "events_by_buildings"
    __table_args__ = (UniqueConstraint("building_id", "event_id"),)
    building_id: Mapped[int] = _fk("buildings")
    event_id: Mapped[int] = _fk("events", index=True)


class EventByStorey(IdMixin, Base):
    __tablename__ = "events_by_storeys"
    __table_args__ = (UniqueConstraint("storey_id", "event_id"),)
    storey_id: Mapped[int] = _fk("storeys")
    event_id: Mapped[int] = _fk("events", index=True)


class EventBySpace(IdMixin, Base):
    __tablename__ = "events_by_spaces"
    __table_args__ = (UniqueConstraint("space_id", "event_id"),)
    space_id: Mapped[int] = _fk("spaces")
    event_id: Mapped[int] = _fk("events", index=True)


class EventByZone(IdMixin, Base):
    __tablename__ = "events_by_zones"
    __table_args__ = (UniqueConstraint("zone_id", "event_id"),)
    zone_id: Mapped[int] = _fk("zones")
    event_id: Mapped[int] = _fk("events", index=True)


class Notification(IdMixin, Base):
    """One user told of one event. `campaign_id` is the event's (not served), copied for the
    campaign filters and counts. No foreign key on `user_id`, `event_id` or `campaign_id`: a key is
    checked row by row (a fan-out would pay one locking look-up per notified user). Triggers delete
    the notifications of deleted users (migration 0008) and of deleted events, cascades from
    scopes and campaigns included (migration 0016); POST /notifications/ checks its event itself."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_campaign_read", "user_id", "campaign_id", "read"),
        Index("ix_notifications_user_timestamp", "user_id", "timestamp"),
    )
    user_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    campaign_id: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class NotificationCount(Base):
    """How many notifications a user has per campaign, read and unread, but those of pending
    batches (NotificationCountPending): kept by triggers on `notifications` (migrations 0008 and
    0020), whatever writes or deletes them (cascades included), so that count_by_campaign reads a
    few rows. Rows at zero may stay."""

    __tablename__ = "notification_counts"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class NotificationCountPending(Base):
    """Notifications inserted but not yet in notification_counts: one batch per event and
    inserting statement, its rows the event's with ids from `first_id` to `last_id` (migration
    0020; folded by the `fold_notification_counts` job, counting.py)."""

    __tablename__ = "notification_counts_pending"
    first_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer)


class EventCount(Base):
    """How many events a campaign scope has of one level on one UTC day, and bounds of their ids
    (every id is within, not always at them): kept by triggers on `events` (migration 0014), for
    the totals and first pages of lists (counts.py). Rows at zero may stay."""

    __tablename__ = "event_counts"
    campaign_scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(EVENT_LEVEL, primary_key=True)
    day: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    min_id: Mapped[int] = mapped_column(Integer)
    max_id: Mapped[int] = mapped_column(Integer)


class NotificationMailProgress(Base):
    """The last notification of an event whose e-mail the mail server accepted (mailing.py)."""

    __tablename__ = "notification_mail_progress"
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    sent_up_to: Mapped[int] = mapped_column(Integer)


class NotificationMailRefusal(Base):
    """An e-mail of a notification that the mail server refused for good, kept for inspection."""

    __tablename__ = "notification_mail_refusals"
    notification_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = _fk("events", index=True)
    error: Mapped[str] = mapped_column(Text)
