"""events: categories (seeded), events, their links, per-user levels, notifications

Revision ID: 0008
Revises: 0007

Levels are a PostgreSQL enum declared in order, so that SQL compares and sorts them.
"""

import sqlalchemy as sa
from alembic import op

from bemserver.db.seed import seed

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LEVEL = sa.Enum("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", name="event_level")
ELEMENTS = (
    ("sites", "site"),
    ("buildings", "building"),
    ("storeys", "storey"),
    ("spaces", "space"),
    ("zones", "zone"),
)


# notification_counts follows every statement on notifications (cascaded deletes included): one
# grouped upsert or update per statement. Keys are taken in order, so that concurrent fan-outs
# lock shared rows in the same order.
COUNTING = """
CREATE FUNCTION notification_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE notification_counts AS c SET count = c.count - o.n
        FROM (SELECT user_id, campaign_id, read, count(*) AS n FROM old_rows
              GROUP BY user_id, campaign_id, read) AS o
        WHERE c.user_id = o.user_id AND c.campaign_id = o.campaign_id AND c.read = o.read;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO notification_counts AS c (user_id, campaign_id, read, count)
        SELECT user_id, campaign_id, read, count(*) FROM new_rows
        GROUP BY user_id, campaign_id, read ORDER BY user_id, campaign_id, read
        ON CONFLICT (user_id, campaign_id, read) DO UPDATE SET count = c.count + EXCLUDED.count;
    END IF;
    RETURN NULL;
END
$$
"""
# No foreign key from notifications to users (a fan-out would lock every notified user's row):
# deleting users deletes their notifications here.
USER_CASCADE = (
    """
CREATE FUNCTION notifications_of_deleted_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notifications WHERE user_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER notifications_of_deleted_users AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifications_of_deleted_users()
""",
)
TRIGGERS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(column: str, table: str, owner: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_{owner}_{column}_{table}"), ondelete="CASCADE"
    )


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(op.f(name or f"ix_{table}_{columns[0]}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "event_categories",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=250), nullable=True),
        _id(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_event_categories_name")),
    )
    op.create_table(
        "events",
        sa.Column("campaign_scope_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("level", LEVEL, nullable=False),
        _id(),
        _fk("campaign_scope_id", "campaign_scopes", "events"),
        _fk("category_id", "event_categories", "events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    _index("events", "campaign_scope_id", "timestamp", "level", name="ix_events_scope_time")
    _index("events", "timestamp")
    _index("events", "category_id")
    op.create_table(
        "event_categories_by_users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("notification_level", LEVEL, nullable=False),
        _id(),
        _fk("user_id", "users", "event_categories_by_users"),
        _fk("category_id", "event_categories", "event_categories_by_users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_categories_by_users")),
        sa.UniqueConstraint("user_id", "category_id", name=op.f("uq_event_categories_by_users_user_id")),
    )
    _index("event_categories_by_users", "category_id")
    op.create_table(
        "timeseries_by_events",
        sa.Column("timeseries_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        _id(),
        _fk("timeseries_id", "timeseries", "timeseries_by_events"),
        _fk("event_id", "events", "timeseries_by_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeseries_by_events")),
        sa.UniqueConstraint("event_id", "timeseries_id", name=op.f("uq_timeseries_by_events_event_id")),
    )
    _index("timeseries_by_events", "timeseries_id")
    for plural, element in ELEMENTS:
        table = f"events_by_{plural}"
        op.create_table(
            table,
            sa.Column(f"{element}_id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.Integer(), nullable=False),
            _id(),
            _fk(f"{element}_id", plural, table),
            _fk("event_id", "events", table),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(f"{element}_id", "event_id", name=op.f(f"uq_{table}_{element}_id")),
        )
        _index(table, "event_id")
    op.create_table(
        "notifications",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read", sa.Boolean(), server_default="false", nullable=False),
        _id(),
        _fk("event_id", "events", "notifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    _index("notifications", "user_id", "campaign_id", "read", name="ix_notifications_user_campaign_read")
    _index("notifications", "user_id", "timestamp", name="ix_notifications_user_timestamp")
    _index("notifications", "event_id")
    op.create_table(
        "notification_counts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "campaign_id", "read", name=op.f("pk_notification_counts")),
    )
    op.execute(COUNTING)
    for operation, transition in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER notification_counts_{operation.lower()} AFTER {operation} ON notifications "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION notification_counts_apply()"
        )
    for statement in USER_CASCADE:
        op.execute(statement)
    seed(op.get_bind(), tables=["event_categories"])


def downgrade() -> None:
    op.execute("DROP TRIGGER notifications_of_deleted_users ON users")
    op.execute("DROP FUNCTION notifications_of_deleted_users()")
    for table in (
        "notification_counts",
        "notifications",
        *(f"events_by_{plural}" for plural, _ in ELEMENTS),
        "timeseries_by_events",
        "event_categories_by_users",
        "events",
        "event_categories",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION notification_counts_apply()")
    LEVEL.drop(op.get_bind())
