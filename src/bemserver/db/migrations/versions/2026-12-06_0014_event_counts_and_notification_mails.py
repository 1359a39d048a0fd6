"""events: kept counts by scope, level and day; the e-mails of notifications not sent yet

Revision ID: 0014
Revises: 0013

`event_counts` holds how many events each campaign scope has per level and UTC day, and bounds of
their ids, kept by statement-level triggers on `events` (cascaded deletes included): the total of
a list filtered by campaign, scope, level and time range sums whole days there and counts only the
two partial days at its ends in `events`, and the id bounds narrow the search of its first pages
(bemserver/events/counts.py).

The e-mails of an event's notifications are sent by one job, queued by the fan-out in the event's
transaction, over one SMTP connection, in notification order: `notification_mail_progress` keeps
the last notification whose e-mail the mail server accepted, so that a retry sends only the rest;
`notification_mail_refusals` keeps the e-mails refused for good, for inspection.

Both kept-count tables leave half of each page free, for HOT updates.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# One grouped update or upsert per statement, keys in order (concurrent writers lock shared rows
# in the same order). Rows at zero may stay; deletes leave the id bounds as they are (still bounds).
COUNTING = """
CREATE FUNCTION event_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE event_counts AS c SET count = c.count - o.n
        FROM (SELECT campaign_scope_id, level, date_trunc('day', "timestamp", 'UTC') AS day,
                     count(*) AS n
              FROM old_rows GROUP BY 1, 2, 3) AS o
        WHERE c.campaign_scope_id = o.campaign_scope_id AND c.level = o.level AND c.day = o.day;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO event_counts AS c (campaign_scope_id, level, day, count, min_id, max_id)
        SELECT campaign_scope_id, level, date_trunc('day', "timestamp", 'UTC'), count(*), min(id), max(id)
        FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (campaign_scope_id, level, day) DO UPDATE SET count = c.count + EXCLUDED.count,
            min_id = least(c.min_id, EXCLUDED.min_id), max_id = greatest(c.max_id, EXCLUDED.max_id);
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def upgrade() -> None:
    level = postgresql.ENUM(name="event_level", create_type=False)
    op.create_table(
        "event_counts",
        sa.Column("campaign_scope_id", sa.Integer(), nullable=False),
        sa.Column("level", level, nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min_id", sa.Integer(), nullable=False),
        sa.Column("max_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_scope_id", "level", "day", name=op.f("pk_event_counts")),
    )
    op.execute(
        "INSERT INTO event_counts (campaign_scope_id, level, day, count, min_id, max_id)"
        " SELECT campaign_scope_id, level, date_trunc('day', \"timestamp\", 'UTC'), count(*), min(id), max(id)"
        " FROM events GROUP BY 1, 2, 3"
    )
    op.execute(COUNTING)
    # Kept counts are updated by most writes: room in each page keeps those updates HOT (no new
    # index entry, no bloat of the index that every update looks its row up in).
    for table in ("event_counts", "notification_counts"):
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")
    for operation, transition in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER event_counts_{operation.lower()} AFTER {operation} ON events "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION event_counts_apply()"
        )
    op.create_table(
        "notification_mail_progress",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sent_up_to", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_notification_mail_progress_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_notification_mail_progress")),
    )
    op.create_table(
        "notification_mail_refusals",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_notification_mail_refusals_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notification_mail_refusals")),
    )
    op.create_index(
        op.f("ix_notification_mail_refusals_event_id"), "notification_mail_refusals", ["event_id"]
    )


def downgrade() -> None:
    op.execute("ALTER TABLE notification_counts RESET (fillfactor)")
    op.drop_table("notification_mail_refusals")
    op.drop_table("notification_mail_progress")
    for operation in TRIGGERS:
        op.execute(f"DROP TRIGGER event_counts_{operation.lower()} ON events")
    op.execute("DROP FUNCTION event_counts_apply()")
    op.drop_table("event_counts")
