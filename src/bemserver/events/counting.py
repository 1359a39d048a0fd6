"""The `fold_notification_counts` job: adds the pending batches of new notifications to
notification_counts (migration 0020).

Inserting notifications queues it (at most one waiting, due 2 s after the insert that queued it),
so that count_by_campaign finds few rows to count where they are. Until it runs, the counts are
still exact: readers add the pending batches' rows (COUNTED_BY_CAMPAIGN).
"""

from __future__ import annotations

from procrastinate import JobContext
from sqlalchemy import text

from bemserver.db.database import Database
from bemserver.jobs.registry import task

TASK = "fold_notification_counts"

# A user's notifications per campaign and read state: the folded counts, plus the rows of the
# batches still pending (an index range of the event's new rows each). One statement, one snapshot:
# a batch is either still pending or in the counts.
COUNTED_BY_CAMPAIGN = """
SELECT campaign_id, read, sum(count) AS count FROM (
    SELECT campaign_id, read, count FROM notification_counts WHERE user_id = :user_id
    UNION ALL
    SELECT n.campaign_id, n.read, count(*) FROM notification_counts_pending AS p
    JOIN notifications AS n ON n.id BETWEEN p.first_id AND p.last_id AND n.event_id = p.event_id
    WHERE n.user_id = :user_id GROUP BY n.campaign_id, n.read
) AS counted GROUP BY campaign_id, read
"""


async def fold(database: Database) -> int:
    """Fold every pending batch; how many there were."""
    async with database.engine.begin() as connection:
        return int(await connection.scalar(text("SELECT fold_notification_counts()")) or 0)


@task(TASK, pass_context=True)
async def fold_notification_counts(context: JobContext) -> None:
    await fold(context.additional_context["database"])
