"""The `refresh_rollups` job: brings the rollups of every series with noted changes up to date.

Writes queue it (at most one waiting, due ROLLUP_REFRESH_DELAY after the write that queued it:
rollups.points_changed, migration 0019), so that the rollups are brought up to date while nobody
waits, and an aggregate after a bulk load finds nothing to catch up. Readers still refresh what
is left (a write since the job ran), so the rollups read are always exact.
"""

from __future__ import annotations

from procrastinate import JobContext
from sqlalchemy import text

from bemserver.db.database import Database
from bemserver.jobs.registry import task
from bemserver.timeseries_data.rollups import refresh

TASK = "refresh_rollups"
SERIES_PER_TRANSACTION = 16  # a refresh locks its series: short transactions keep readers waiting little
ROUNDS = 5  # more changes noted while it ran (writes that saw this job waiting) are refreshed too

_DIRTY = text("SELECT DISTINCT series_id FROM timeseries_data_dirty ORDER BY series_id")


async def refresh_all(database: Database) -> int:
    """Refresh every series with noted changes, a few at a time; how many series were refreshed."""
    done = 0
    for _ in range(ROUNDS):
        async with database.reader() as connection:
            series = list((await connection.scalars(_DIRTY)).all())
        if not series:
            break
        for first in range(0, len(series), SERIES_PER_TRANSACTION):
            await refresh(database.engine, series[first : first + SERIES_PER_TRANSACTION])
        done += len(series)
    return done


@task(TASK, pass_context=True)
async def refresh_rollups(context: JobContext) -> None:
    await refresh_all(context.additional_context["database"])
