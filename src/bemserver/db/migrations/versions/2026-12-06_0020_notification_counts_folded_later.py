"""notification_counts: inserted notifications are counted later, by a job, in batches

Revision ID: 0020
Revises: 0019

An event's fan-out inserts a notification per user; counting them in the same statement was one
upsert of notification_counts per user (half a millisecond for 200 users, a quarter of the
fan-out). Now an INSERT notes one batch per event in `notification_counts_pending` (the event and
the first and last ids of its new rows) and queues the `fold_notification_counts` job (debounced
as the rollups' job, migration 0019). Until the job folds a batch into notification_counts, its
rows are counted where they are (count_by_campaign adds them: events/notifications.py).

Updates and deletes keep notification_counts exact for the rows of folded batches, and leave the
rows of pending batches to the fold. They lock those batches first (FOR KEY SHARE): a fold that
deletes a batch waits for them to commit, then counts what they committed; one that went first
makes them wait, and they find the batch folded. The fold deletes the batches, then counts their
rows in a later statement (a later snapshot) of the same transaction.

A batch's id range holds only its own statement's rows of its event: an event's fan-out runs in
the transaction that inserts the event, before anyone else can see it (and so add notifications
of it), and later inserts take later ids; POST /notifications/ adds one row, a range of one id.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PENDING = """
CREATE TABLE notification_counts_pending (
    first_id integer PRIMARY KEY,
    last_id integer NOT NULL,
    event_id integer NOT NULL
)
"""

QUEUE_FOLD = """
CREATE FUNCTION queue_notification_count_fold(delay interval) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM procrastinate_jobs WHERE task_name = 'fold_notification_counts' AND status = 'todo') THEN
        RETURN false;
    END IF;
    IF NOT pg_try_advisory_xact_lock(5020, 0) THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT FROM procrastinate_jobs WHERE task_name = 'fold_notification_counts' AND status = 'todo') THEN
        RETURN false;
    END IF;
    PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'fold_notification_counts', 0,
        'fold_notification_counts', NULL, '{}'::jsonb, now() + delay)::procrastinate_job_to_defer_v1]);
    RETURN true;
END
$$
"""

# Rows of `rows` not in a pending batch (they are counted as they stand in notification_counts).
_FOLDED = """NOT EXISTS (SELECT FROM notification_counts_pending p
                  WHERE r.id BETWEEN p.first_id AND p.last_id AND r.event_id = p.event_id)"""

APPLY = f"""
CREATE OR REPLACE FUNCTION notification_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO notification_counts_pending (first_id, last_id, event_id)
        SELECT min(id), max(id), event_id FROM new_rows GROUP BY event_id;
        PERFORM queue_notification_count_fold(interval '2 seconds');
        RETURN NULL;
    END IF;
    PERFORM FROM notification_counts_pending p
    WHERE EXISTS (SELECT FROM old_rows r WHERE r.id BETWEEN p.first_id AND p.last_id AND r.event_id = p.event_id)
    ORDER BY p.first_id FOR KEY SHARE;
    UPDATE notification_counts AS c SET count = c.count - o.n
    FROM (SELECT user_id, campaign_id, read, count(*) AS n FROM old_rows r WHERE {_FOLDED}
          GROUP BY user_id, campaign_id, read) AS o
    WHERE c.user_id = o.user_id AND c.campaign_id = o.campaign_id AND c.read = o.read;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO notification_counts AS c (user_id, campaign_id, read, count)
        SELECT user_id, campaign_id, read, count(*) FROM new_rows r WHERE {_FOLDED}
        GROUP BY user_id, campaign_id, read ORDER BY user_id, campaign_id, read
        ON CONFLICT (user_id, campaign_id, read) DO UPDATE SET count = c.count + EXCLUDED.count;
    END IF;
    RETURN NULL;
END
$$
"""

FOLD = """
CREATE FUNCTION fold_notification_counts() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    firsts integer[];
    lasts integer[];
    events integer[];
BEGIN
    WITH folded AS (DELETE FROM notification_counts_pending RETURNING first_id, last_id, event_id)
    SELECT array_agg(first_id), array_agg(last_id), array_agg(event_id) INTO firsts, lasts, events
    FROM folded;
    IF firsts IS NULL THEN
        RETURN 0;
    END IF;
    INSERT INTO notification_counts AS c (user_id, campaign_id, read, count)
    SELECT n.user_id, n.campaign_id, n.read, count(*)
    FROM unnest(firsts, lasts, events) AS b(first_id, last_id, event_id)
    JOIN notifications n ON n.id BETWEEN b.first_id AND b.last_id AND n.event_id = b.event_id
    GROUP BY n.user_id, n.campaign_id, n.read ORDER BY n.user_id, n.campaign_id, n.read
    ON CONFLICT (user_id, campaign_id, read) DO UPDATE SET count = c.count + EXCLUDED.count;
    RETURN cardinality(firsts);
END
$$
"""

PREVIOUS_APPLY = """
CREATE OR REPLACE FUNCTION notification_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade() -> None:
    for statement in (PENDING, QUEUE_FOLD, APPLY, FOLD):
        op.execute(statement)


def downgrade() -> None:
    op.execute("SELECT fold_notification_counts()")
    op.execute(
        "DELETE FROM procrastinate_jobs WHERE task_name = 'fold_notification_counts' AND status = 'todo'"
    )
    op.execute(PREVIOUS_APPLY)
    op.execute("DROP FUNCTION fold_notification_counts()")
    op.execute("DROP FUNCTION queue_notification_count_fold(interval)")
    op.execute("DROP TABLE notification_counts_pending")
