"""rollups refreshed in the background

Revision ID: 0019
Revises: 0018

queue_rollup_refresh(delay) -> whether it queued: queues one `refresh_rollups` job (timeseries_data/refresh_job.py),
due `delay` from now, unless one is waiting already. Writes call it in the statement that notes
their changed spans (rollups.points_changed), so that a job brings the rollups up to date once
writes go quiet, and the first aggregate after a bulk load finds nothing to catch up.

Debounced without waiting: a writer that sees a waiting job does nothing; the first writer to
take a transaction-level advisory try-lock (never waited for) queues it; a concurrent writer
that finds the lock taken counts on that writer's job. Two jobs may rarely wait at once (a
statement whose snapshot predates the other's commit): the second one finds nothing to do. The
jobs' procrastinate lock keeps two from running at once.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

QUEUE_ROLLUP_REFRESH = """
CREATE FUNCTION queue_rollup_refresh(delay interval) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM procrastinate_jobs WHERE task_name = 'refresh_rollups' AND status = 'todo') THEN
        RETURN false;
    END IF;
    IF NOT pg_try_advisory_xact_lock(5019, 0) THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT FROM procrastinate_jobs WHERE task_name = 'refresh_rollups' AND status = 'todo') THEN
        RETURN false;
    END IF;
    PERFORM procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'refresh_rollups', 0, 'refresh_rollups', NULL,
        '{}'::jsonb, now() + delay)::procrastinate_job_to_defer_v1]);
    RETURN true;
END
$$;
"""


def upgrade() -> None:
    op.execute(QUEUE_ROLLUP_REFRESH)


def downgrade() -> None:
    op.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'refresh_rollups' AND status = 'todo'")
    op.execute("DROP FUNCTION queue_rollup_refresh(interval)")
