"""tasks: per-campaign task schedules (tasks_by_campaigns) and task runs

Revision ID: 0013
Revises: 0012

A run made by a schedule's tick carries the schedule row and the tick: unique together, so that a
tick retried or seen by two workers makes each run once.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PERIOD = sa.Enum("second", "minute", "hour", "day", "week", "month", "year", name="period")
EMPTY_OBJECT = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.create_table(
        "tasks_by_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_name", sa.String(80), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("parameters", JSONB(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("offset_unit", PERIOD, server_default="day", nullable=False),
        sa.Column("start_offset", sa.Integer(), server_default="-1", nullable=False),
        sa.Column("end_offset", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_tasks_by_campaigns_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks_by_campaigns")),
    )
    op.create_index("ix_tasks_by_campaigns_task_name", "tasks_by_campaigns", ["task_name"])
    op.create_index("ix_tasks_by_campaigns_campaign_id", "tasks_by_campaigns", ["campaign_id"])
    op.create_table(
        "task_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_name", sa.String(80), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parameters", JSONB(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(10), server_default="queued", nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("result", JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("task_by_campaign_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_task_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_task_runs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_by_campaign_id"],
            ["tasks_by_campaigns.id"],
            name=op.f("fk_task_runs_task_by_campaign_id_tasks_by_campaigns"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_runs")),
        sa.UniqueConstraint("task_by_campaign_id", "scheduled_at", name="uq_task_runs_tick"),
    )
    op.create_index("ix_task_runs_campaign_id", "task_runs", ["campaign_id", "id"])
    op.create_index("ix_task_runs_started_by", "task_runs", ["started_by", "id"])


def downgrade() -> None:
    op.drop_table("task_runs")
    op.drop_table("tasks_by_campaigns")
    PERIOD.drop(op.get_bind(), checkfirst=True)
