"""Tables: the per-campaign schedule of a task (tasks_by_campaigns) and every run (task_runs)."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin

PERIODS = ("second", "minute", "hour", "day", "week", "month", "year")
PERIOD = Enum(*PERIODS, name="period")
STATUSES = ("queued", "running", "succeeded", "failed")


class TaskByCampaign(IdMixin, Base):
    """One scheduled task of a campaign: at each tick of the task's schedule, it runs over
    [now + start_offset * offset_unit, now + end_offset * offset_unit) in the campaign's timezone."""

    __tablename__ = "tasks_by_campaigns"
    task_name: Mapped[str] = mapped_column(String(80), index=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    offset_unit: Mapped[str] = mapped_column(PERIOD, server_default="day")
    start_offset: Mapped[int] = mapped_column(Integer, server_default="-1")
    end_offset: Mapped[int] = mapped_column(Integer, server_default="0")


class TaskRun(IdMixin, Base):
    """One run of a task over a campaign and a window, from POST /tasks/run (started_by: the
    user) or from a schedule's tick (started_by NULL: the system; task_by_campaign_id and
    scheduled_at set, unique together so a tick makes each run once)."""

    __tablename__ = "task_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
        UniqueConstraint("task_by_campaign_id", "scheduled_at", name="uq_task_runs_tick"),
        Index("ix_task_runs_campaign_id", "campaign_id", "id"),
        Index("ix_task_runs_started_by", "started_by", "id"),
    )
    task_name: Mapped[str] = mapped_column(String(80))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # No foreign key: a run stays (with its author's id) when the user is deleted.
    started_by: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), server_default="queued")
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    task_by_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks_by_campaigns.id", ondelete="SET NULL")
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
