"""events: ix_events_scope_time carries the event ids

Revision ID: 0010
Revises: 0009

A page of GET /events/ filtered by campaign (or scope), time range and level first finds the ids
of all matches, for their count and their order: with the ids in the index, an index-only scan.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = ["campaign_scope_id", "timestamp", "level"]


def upgrade() -> None:
    op.drop_index("ix_events_scope_time", table_name="events")
    op.create_index("ix_events_scope_time", "events", COLUMNS, postgresql_include=["id"])


def downgrade() -> None:
    op.drop_index("ix_events_scope_time", table_name="events")
    op.create_index("ix_events_scope_time", "events", COLUMNS)
