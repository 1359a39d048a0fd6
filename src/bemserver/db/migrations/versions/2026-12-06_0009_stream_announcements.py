"""stream announcements: new events and notifications NOTIFY the live streams when committed

Revision ID: 0009
Revises: 0008

One statement-level trigger per table, whatever inserts the rows (POST /events/, the notification
fan-out, POST /notifications/, a job): `pg_notify` with the payload of bemserver.db.listen,
{"rows": [[id, key], ...]} in chunks of 250 rows (payloads must stay under 8000 bytes). The key
is the notification's user, the event's campaign. PostgreSQL sends the notifications on commit
only.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, channel, function, SELECT of (id, key) from the transition table `fresh`)
ANNOUNCED = (
    (
        "notifications",
        "bemserver_notifications",
        "bemserver_announce_notifications",
        "SELECT id, user_id AS key FROM fresh",
    ),
    (
        "events",
        "bemserver_events",
        "bemserver_announce_events",
        "SELECT fresh.id, campaign_scopes.campaign_id AS key"
        " FROM fresh JOIN campaign_scopes ON campaign_scopes.id = fresh.campaign_scope_id",
    ),
)


def upgrade() -> None:
    for table, channel, function, rows in ANNOUNCED:
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify(
                    '{channel}',
                    json_build_object('rows', json_agg(json_build_array(id, key) ORDER BY id))::text
                )
                FROM (SELECT id, key, (row_number() OVER (ORDER BY id) - 1) / 250 AS chunk
                      FROM ({rows}) AS announced) AS numbered
                GROUP BY chunk;
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_announce AFTER INSERT ON {table}"
            f" REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    for table, _, function, _ in ANNOUNCED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_announce ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
