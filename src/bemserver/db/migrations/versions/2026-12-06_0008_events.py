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
        _fk("user_id", "users", "notifications"),
        _fk("event_id", "events", "notifications"),
        _fk("campaign_id", "campaigns", "notifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    _index("notifications", "user_id", "campaign_id", "read", name="ix_notifications_user_campaign_read")
    _index("notifications", "user_id", "timestamp", name="ix_notifications_user_timestamp")
    _index("notifications", "event_id")
    _index("notifications", "campaign_id")
    seed(op.get_bind(), tables=["event_categories"])


def downgrade() -> None:
    for table in (
        "notifications",
        *(f"events_by_{plural}" for plural, _ in ELEMENTS),
        "timeseries_by_events",
        "event_categories_by_users",
        "events",
        "event_categories",
    ):
        op.drop_table(table)
    LEVEL.drop(op.get_bind())
