"""Task runs: queued by POST /tasks/run or by a schedule's tick, executed by a worker's job.

A run is a `task_runs` row and a `tasks.run` job queued in the same transaction. The job marks the
run `running` (committed at once, so that clients see it), then runs the task in one unit of work
that also marks it `succeeded` with its result: a worker killed in the middle leaves the run
`running`, its job is put back in the queue by the dead-worker check, and the retry starts over
with nothing of the first attempt kept (the tasks that commit along the way only insert what is
not there yet). A task that raises marks its run `failed` with the error; the job then ends
normally, and the worker goes on.
"""

from __future__ import annotations

import json
import logging
import zoneinfo
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import SYSTEM, Caller
from bemserver.campaigns.models import Campaign
from bemserver.db.database import Database
from bemserver.jobs.enqueue import enqueue, enqueue_each
from bemserver.permissions import read_filter
from bemserver.settings import Settings
from bemserver.tasks.models import TaskRun
from bemserver.tasks.registry import Campaign as CampaignInfo
from bemserver.tasks.registry import TaskContext, catalogue
from bemserver.users.models import User

logger = logging.getLogger(__name__)

RUN_JOB = "tasks.run"
ERROR_LENGTH = 4000
# Local to the task's transaction: JIT compiling the tasks' large statements costs seconds, more
# than running them.
NO_JIT = text("SELECT set_config('jit', 'off', true)")
ASYNC_COMMIT = text("SELECT set_config('synchronous_commit', 'off', true)")


async def queue_run(
    session: AsyncSession,
    *,
    task_name: str,
    campaign_id: int,
    start: datetime,
    end: datetime,
    parameters: dict[str, Any],
    started_by: int | None,
) -> int:
    """A queued run and its job, in the caller's transaction; the run's id."""
    run_id = await session.scalar(
        insert(TaskRun)
        .values(
            task_name=task_name,
            campaign_id=campaign_id,
            start_time=start,
            end_time=end,
            parameters=parameters,
            started_by=started_by,
        )
        .returning(TaskRun.id)
    )
    assert run_id is not None
    job_id = await enqueue(session, RUN_JOB, run_id=run_id)
    await session.execute(update(TaskRun).where(TaskRun.id == run_id).values(job_id=job_id))
    return run_id


# One run per enabled schedule row of the task, its window computed from the tick in the
# campaign's timezone (calendar arithmetic on local time, as pandas' DateOffset), made once per
# (row, tick) whatever the number of workers or retries; RETURNING gives the new ones only.
_TICK = text(
    """
    INSERT INTO task_runs (task_name, campaign_id, start_time, end_time, parameters, started_by,
                           task_by_campaign_id, scheduled_at)
    SELECT t.task_name, t.campaign_id,
           (local + t.start_offset * step) AT TIME ZONE c.timezone,
           (local + t.end_offset * step) AT TIME ZONE c.timezone,
           CAST(:defaults AS jsonb) || t.parameters, NULL, t.id, to_timestamp(:tick)
    FROM tasks_by_campaigns AS t
    JOIN campaigns AS c ON c.id = t.campaign_id
    CROSS JOIN LATERAL (SELECT to_timestamp(:tick) AT TIME ZONE c.timezone AS local,
                               CAST('1 ' || CAST(t.offset_unit AS text) AS interval) AS step) AS w
    WHERE t.task_name = :task AND t.is_enabled
    ORDER BY t.id
    ON CONFLICT (task_by_campaign_id, scheduled_at) DO NOTHING
    RETURNING id
    """
)


async def queue_tick(session: AsyncSession, task_name: str, tick: int) -> int:
    """The runs of one tick of the task's schedule (none made twice), each with its job."""
    declared = catalogue().get(task_name)
    if declared is None:
        return 0
    params = {"task": task_name, "tick": tick, "defaults": json.dumps(declared.default_parameters)}
    run_ids = list((await session.execute(_TICK, params)).scalars())
    if not run_ids:
        return 0
    arguments = (
        select(func.jsonb_build_object("run_id", TaskRun.id))
        .where(TaskRun.id.in_(run_ids))
        .order_by(TaskRun.id)
    )
    await enqueue_each(session, RUN_JOB, arguments)
    return len(run_ids)


async def _caller_of(session: AsyncSession, started_by: int | None) -> Caller | None:
    if started_by is None:
        return SYSTEM
    row = (
        await session.execute(
            select(User.id, User.email, User.is_admin, User.is_active).where(User.id == started_by)
        )
    ).one_or_none()
    if row is None or not row.is_active:
        return None
    return Caller(row.id, row.email, row.is_admin, row.is_active)


class RunError(Exception):
    pass


async def _mark(database: Database, run_id: int, **values: Any) -> None:
    async with database.unit_of_work() as session:
        await session.execute(update(TaskRun).where(TaskRun.id == run_id).values(**values))


async def execute_run(database: Database, settings: Settings, run_id: int) -> None:
    """Run the task of a queued (or interrupted) run; a finished run is left alone."""
    async with database.unit_of_work() as session:
        # Losing this mark in a crash of the database costs nothing (the run is taken again): no
        # wait for the disk.
        await session.execute(ASYNC_COMMIT)
        run = (
            await session.execute(
                update(TaskRun)
                .where(TaskRun.id == run_id, TaskRun.status.in_(("queued", "running")))
                .values(status="running", started_at=func.clock_timestamp(), attempts=TaskRun.attempts + 1)
                .returning(TaskRun)
            )
        ).scalar_one_or_none()
    if run is None:
        return
    try:
        async with database.unit_of_work() as session:
            result = await _run(session, database, settings, run)
            await session.execute(
                update(TaskRun)
                .where(TaskRun.id == run_id)
                .values(status="succeeded", finished_at=func.clock_timestamp(), result=result, error=None)
            )
    except Exception as exc:
        logger.warning("Task run %s (%s) failed: %s", run_id, run.task_name, exc, exc_info=True)
        error = (str(exc) or type(exc).__name__)[:ERROR_LENGTH]
        await _mark(database, run_id, status="failed", finished_at=func.clock_timestamp(), error=error)


async def _run(session: AsyncSession, database: Database, settings: Settings, run: TaskRun) -> dict[str, Any]:
    await session.execute(NO_JIT)
    declared = catalogue().get(run.task_name)
    if declared is None:
        raise RunError(f"Unknown task: {run.task_name}")
    caller = await _caller_of(session, run.started_by)
    if caller is None:
        raise RunError("The user who started the run is not an active user any more")
    campaign = (
        await session.execute(
            select(Campaign.id, Campaign.name, Campaign.timezone).where(
                Campaign.id == run.campaign_id, read_filter(Campaign, caller)
            )
        )
    ).one_or_none()
    if campaign is None:
        raise RunError(
            f"Campaign {run.campaign_id} is unknown or not readable by the user who started the run"
        )
    zone = zoneinfo.ZoneInfo(campaign.timezone)
    context = TaskContext(
        session=session,
        caller=caller,
        campaign=CampaignInfo(campaign.id, campaign.name, campaign.timezone),
        start=run.start_time.astimezone(zone),
        end=run.end_time.astimezone(zone),
        parameters=declared.parse(run.parameters),
        settings=settings,
        run_id=run.id,
        database=database,
    )
    return await declared.function(context)
