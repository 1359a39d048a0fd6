"""notifications: their event's deletion cascades through a statement-level trigger, not a foreign key

Revision ID: 0016
Revises: 0015

A foreign key on `notifications.event_id` checks every inserted row on its own (one locking
look-up of the event per row): the fan-out of an event to 200 users paid 200 of them, for an event
inserted a moment earlier in the same transaction. Without the key:

- deleting events (cascades from scopes and campaigns included) deletes their notifications in one
  statement per deleting statement (the trigger below);
- the fan-out inserts notifications of the event of its own transaction (nobody else can delete it);
- POST /notifications/ locks its event (`FOR KEY SHARE`, what the key's check took) before inserting,
  so a concurrent deletion of that event waits for it and then deletes its notification too, or wins
  and the POST is refused (bemserver/events/notifications.py).
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_notifications_event_id_events"
CASCADE = (
    """
CREATE FUNCTION notifications_of_deleted_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notifications WHERE event_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER notifications_of_deleted_events AFTER DELETE ON events REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION notifications_of_deleted_events()
""",
)


def upgrade() -> None:
    op.drop_constraint(FOREIGN_KEY, "notifications", type_="foreignkey")
    for statement in CASCADE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER notifications_of_deleted_events ON events")
    op.execute("DROP FUNCTION notifications_of_deleted_events()")
    op.execute("DELETE FROM notifications WHERE event_id NOT IN (SELECT id FROM events)")
    op.create_foreign_key(FOREIGN_KEY, "notifications", "events", ["event_id"], ["id"], ondelete="CASCADE")
