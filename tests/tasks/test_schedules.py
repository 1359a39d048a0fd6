"""Schedules: each tick runs the task for every enabled schedule row, once, with its window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from bemserver.db.database import Database
from bemserver.jobs import run_worker
from bemserver.tasks.runs import queue_tick
from tests.conftest import make_settings
from tests.tasks.conftest import FAST


async def runs(engine) -> list[tuple]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT task_by_campaign_id, status, started_by, parameters::text,"
                " to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
                " to_char(end_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
                " FROM task_runs ORDER BY id"
            )
        )
        return [tuple(row) for row in rows]


async def test_a_tick_queues_one_run_per_enabled_row_with_its_window(campaign, engine, database_url):
    utc = (await campaign.post("/campaigns/", name="UTC campaign", timezone="UTC"))["id"]
    daily = await campaign.post("/tasks_by_campaigns/", task_name="CheckOutliers", campaign_id=campaign.id)
    hourly = await campaign.post(
        "/tasks_by_campaigns/",
        task_name="CheckOutliers",
        campaign_id=utc,
        offset_unit="hour",
        start_offset=-3,
        end_offset=-1,
        parameters={"min_correctness_ratio": 0.5},
    )
    monthly = await campaign.post(
        "/tasks_by_campaigns/", task_name="CheckOutliers", campaign_id=utc, offset_unit="month"
    )
    await campaign.post("/tasks_by_campaigns/", task_name="CheckOutliers", campaign_id=utc, is_enabled=False)
    await campaign.post("/tasks_by_campaigns/", task_name="Cleanup", campaign_id=utc)
    # 2020-03-29 12:00 UTC is 14:00 in Paris, the day of the switch to summer time.
    tick = int(datetime(2020, 3, 29, 12, 0, tzinfo=UTC).timestamp())
    database = Database(database_url, pool_size=2)
    try:
        for _ in range(2):  # a tick seen twice makes its runs once
            async with database.unit_of_work() as session:
                await queue_tick(session, "CheckOutliers", tick)
    finally:
        await database.dispose()
    assert await runs(engine) == [
        # a calendar day back in Paris: 14:00 on the 28th (winter time), 23 hours before
        (
            daily["id"],
            "queued",
            None,
            '{"min_correctness_ratio": 0.9}',
            "2020-03-28 13:00",
            "2020-03-29 12:00",
        ),
        (
            hourly["id"],
            "queued",
            None,
            '{"min_correctness_ratio": 0.5}',
            "2020-03-29 09:00",
            "2020-03-29 11:00",
        ),
        (
            monthly["id"],
            "queued",
            None,
            '{"min_correctness_ratio": 0.9}',
            "2020-02-29 12:00",
            "2020-03-29 12:00",
        ),
    ]
    async with engine.connect() as connection:
        jobs = await connection.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'tasks.run'")
        )
    assert jobs == 3


async def test_two_workers_run_each_tick_once(campaign, engine, database_url):
    """Two workers with the same every-second schedule: every tick's run is made once."""
    await campaign.post("/tasks_by_campaigns/", task_name="Cleanup", campaign_id=campaign.id)
    await campaign.post(
        "/tasks_by_campaigns/", task_name="Cleanup", campaign_id=campaign.id, offset_unit="hour"
    )
    settings = make_settings(
        task_schedules={
            "Cleanup": "* * * * * *",
            "CheckMissingData": "",
            "CheckOutliers": "",
            "DownloadWeatherData": "",
        }
    )
    workers = [
        asyncio.create_task(run_worker(settings, database_url, concurrency=2, name=f"w{n}", **FAST))
        for n in range(2)
    ]
    try:
        await asyncio.sleep(4.5)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    async with engine.connect() as connection:
        per_tick = (
            await connection.execute(
                text(
                    "SELECT scheduled_at, count(*), count(DISTINCT task_by_campaign_id) FROM task_runs"
                    " GROUP BY scheduled_at ORDER BY scheduled_at"
                )
            )
        ).all()
        defers = (
            await connection.execute(
                text(
                    "SELECT defer_timestamp, count(*) FROM procrastinate_periodic_defers"
                    " WHERE task_name = 'tasks.tick' GROUP BY defer_timestamp"
                )
            )
        ).all()
        statuses = set((await connection.execute(text("SELECT status FROM task_runs"))).scalars())
    assert len(per_tick) >= 3, per_tick
    assert all(count == 2 and distinct == 2 for _, count, distinct in per_tick), per_tick
    assert all(count == 1 for _, count in defers), defers  # the queue keeps the latest tick's
    assert statuses <= {"queued", "running", "succeeded"}
