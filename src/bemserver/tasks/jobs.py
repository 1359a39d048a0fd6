"""The job-queue side of the tasks: the `tasks.run` job, the `tasks.tick` job and the schedules.

Each task with a schedule (its default, or the BEMSERVER_TASK_SCHEDULES setting) is a periodic
`tasks.tick` job: procrastinate's periodic deferrer, in every worker, defers it at each tick, and
the queue keeps one job per (task, tick) whatever the number of workers. The tick job queues the
runs of that tick (task_runs' unique (schedule row, tick) makes them once, should it run twice).
"""

from __future__ import annotations

from procrastinate import JobContext

from bemserver.jobs.registry import Schedule, schedules, task
from bemserver.settings import Settings
from bemserver.tasks.registry import catalogue
from bemserver.tasks.runs import RUN_JOB, execute_run, queue_tick

TICK_JOB = "tasks.tick"


def crons(settings: Settings) -> dict[str, str]:
    """task name -> cron of its schedule ("" when not scheduled)."""
    overrides = settings.task_schedules
    return {
        name: overrides.get(name, declared.schedule or "").strip() for name, declared in catalogue().items()
    }


@schedules
def task_schedules(settings: Settings) -> list[Schedule]:
    return [
        Schedule(TICK_JOB, cron, periodic_id=name, kwargs={"task_name": name})
        for name, cron in crons(settings).items()
        if cron
    ]


@task(RUN_JOB, pass_context=True)
async def run(context: JobContext, *, run_id: int) -> None:
    extra = context.additional_context
    await execute_run(extra["database"], extra["settings"], run_id)


@task(TICK_JOB, pass_context=True)
async def tick(context: JobContext, *, task_name: str, timestamp: int) -> None:
    async with context.additional_context["database"].unit_of_work() as session:
        await queue_tick(session, task_name, timestamp)
