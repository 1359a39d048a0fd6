"""The rollups are brought up to date in the background: writes queue one `refresh_rollups` job
(debounced: one waiting at a time), and once a worker ran it the marker of changes to refresh is
empty and an aggregate does no catch-up work (its rollup rows are left as the job wrote them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import make_settings
from tests.jobs.conftest import eventually, start_worker  # noqa: F401 (a fixture)
from tests.timeseries_data.aggregate_helpers import get_aggregate, series_of
from tests.timeseries_data.conftest import World, post_json

START = datetime(2020, 1, 1, tzinfo=UTC)
DAYS = 20


def minutes(first_day: int, days: int) -> dict[str, float]:
    return {
        (START + timedelta(minutes=m)).isoformat(): float(m % 97)
        for m in range(first_day * 1440, (first_day + days) * 1440)
    }


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as connection:
        return await connection.scalar(text(sql), params)


async def waiting_jobs(engine: AsyncEngine) -> int:
    return await scalar(
        engine,
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'refresh_rollups' AND status = 'todo'",
    )


async def rollup_versions(engine: AsyncEngine, series: int) -> list[tuple[str, str]]:
    """The row versions (xmin, ctid) of the series' rollup cells: they change when a refresh
    recomputes the cells, and only then."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT 'q', start, xmin::text, ctid::text FROM timeseries_data_quarters WHERE series_id = :s"
                " UNION ALL SELECT 'h', start, xmin::text, ctid::text FROM timeseries_data_hours WHERE series_id = :s"
                " UNION ALL SELECT 'd', start, xmin::text, ctid::text FROM timeseries_data_days WHERE series_id = :s"
                " ORDER BY 1, 2"
            ),
            {"s": series},
        )
        return [tuple(map(str, row)) for row in rows]


async def aggregate(client: Any, world: World) -> dict[str, float]:
    end = (START + timedelta(days=2 * DAYS)).isoformat()
    answer = await get_aggregate(client, world.admin, [world.ts[0]], START.isoformat(), end, 1, "day", "sum")
    assert answer.status_code == 200, answer.text
    return answer.json()[str(world.ts[0])]


async def test_writes_queue_one_refresh_job_and_the_worker_leaves_nothing_to_catch_up(
    client,
    engine,
    world: World,
    start_worker,  # noqa: F811 (the fixture imported)
):
    assert await waiting_jobs(engine) == 0
    assert (await post_json(client, world.admin, {str(world.ts[0]): minutes(0, DAYS)})).status_code == 201
    assert await waiting_jobs(engine) == 1
    # Debounced: more writes (bulk, small, deletes) while it waits queue no other job.
    assert (await post_json(client, world.admin, {str(world.ts[0]): minutes(DAYS, DAYS)})).status_code == 201
    assert (await post_json(client, world.admin, {str(world.ts[1]): minutes(0, 1)})).status_code == 201
    small = {str(world.ts[0]): {(START + timedelta(days=3 * DAYS)).isoformat(): 1.0}}
    assert (await post_json(client, world.admin, small)).status_code == 201
    assert await waiting_jobs(engine) == 1
    series = await series_of(engine, world.ts[0])
    assert await scalar(engine, "SELECT count(*) FROM timeseries_data_dirty WHERE series_id = :s", s=series)

    # Without the job, the first aggregate pays the catch-up: it writes the rollup cells.
    assert await rollup_versions(engine, series) == []
    expected = await aggregate(client, world)
    assert len(await rollup_versions(engine, series)) > 0

    # New writes; this time the worker runs the job first (due now rather than in 2 s).
    assert (
        await post_json(client, world.admin, {str(world.ts[0]): minutes(DAYS, 1)}, overwrite="true")
    ).status_code == 201
    changed = {str(world.ts[0]): {(START + timedelta(days=1, minutes=7)).isoformat(): 1000.0}}
    assert (await post_json(client, world.admin, changed, overwrite="true")).status_code == 201
    assert await waiting_jobs(engine) == 1
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = 'refresh_rollups'")
        )
    await start_worker(make_settings())

    async def done() -> bool:
        return not await scalar(
            engine, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'refresh_rollups'"
        ) and not await scalar(engine, "SELECT count(*) FROM timeseries_data_dirty")

    await eventually(done, timeout=60)
    assert await waiting_jobs(engine) == 0
    before = await rollup_versions(engine, series)
    result = await aggregate(client, world)
    assert await rollup_versions(engine, series) == before, "the aggregate recomputed rollup cells"
    assert not await scalar(engine, "SELECT count(*) FROM timeseries_data_dirty")
    # The job's rollups are exact: day 1 now holds the new value.
    assert result != expected
    day_one = next(value for moment, value in result.items() if moment.startswith("2020-01-02"))
    assert day_one == sum(float(m % 97) for m in range(1440, 2880) if m != 1440 + 7) + 1000.0
