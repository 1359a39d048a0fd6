"""job_queue: procrastinate's tables and functions, for background jobs

Revision ID: 0007
Revises: 0006

The schema is the one shipped with the installed procrastinate (its `schema.sql`), read at
migration time. A later procrastinate release that changes its schema ships SQL migration files
(procrastinate/sql/migrations/); upgrading to it takes a migration of ours that applies them
(tests/jobs/test_schema.py fails until then).
"""

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DROP_EVERYTHING = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE
    item record;
BEGIN
    FOR item IN
        SELECT p.oid::regprocedure AS signature FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || item.signature || ' CASCADE';
    END LOOP;
    FOR item IN
        SELECT t.oid::regtype AS name FROM pg_type t
        WHERE t.typnamespace = current_schema()::regnamespace AND t.typname LIKE 'procrastinate\\_%'
            AND t.typtype IN ('e', 'c')
    LOOP
        EXECUTE 'DROP TYPE ' || item.name || ' CASCADE';
    END LOOP;
END
$$;
"""


def _run_script(sql: str) -> None:
    """Several statements at once, on the driver: no bind parameter parsing of `:` nor `%`."""
    driver = op.get_bind().connection.driver_connection
    driver.execute(sql)  # type: ignore[union-attr]


def upgrade() -> None:
    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    _run_script(DROP_EVERYTHING)
