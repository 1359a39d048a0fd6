"""The tasks workload (issue 13): Cleanup, the two checks and a job backlog, on this server's code.

Unlike the HTTP workloads, the tasks run in a worker, not behind an API call one could time: this
script runs them through the same code path as a worker (`bemserver.tasks.runs`: a run row, then
`execute_run`) on a fresh database of the machine's PostgreSQL, and reads their durations from the
run rows. It needs the project's venv (it imports bemserver). Data are made by SQL:

- Cleanup: `--timeseries` (100) timeseries x `--days` (365) of 10-minute Raw points from
  2024-01-01T00:00Z, `round(20 + 5 sin(2 pi k / 144) + i % 10, 3)`, Min 16 and Max 28 (about 8 % of
  the points out of bounds); the whole range cleaned into Clean in one run.
- Checks: `--check-timeseries` (10,000) timeseries in 10 scopes with one day of 10-minute points
  (1.44 million), Min 10, Max 40 and Interval 600; every tenth has only 20 points, every seventh
  a value of 1000 at every fifth point (20 % outliers). Each check runs twice, the second timed
  (a worker is long-lived: its statements are compiled by then); the first is in `first`. CheckMissingData, then CheckOutliers, over that day.
- Backlog: `--jobs` (1,000) runs of Cleanup over a one-hour window of an empty campaign, queued at
  once, drained by one worker process, then (queued again) by two; each worker `--concurrency` 4.
  The time is from the commit that queued them to the last run finished (the database's clock).

    .venv/bin/python bench/bench_tasks.py [--database-url postgresql://...] [--json FILE]

The reference's figures come from bench/bench_tasks_reference.py (run with the reference's venv).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from bench_tasks_data import OURS, START, make_campaign, make_points, make_timeseries
from sqlalchemy import text

from bemserver.db.database import Database
from bemserver.db.migrate import upgrade
from bemserver.settings import Settings
from bemserver.tasks.runs import execute_run, queue_run

NO_SCHEDULES = {"Cleanup": "", "CheckMissingData": "", "CheckOutliers": "", "DownloadWeatherData": ""}
WORKER = """
import asyncio, sys
from bemserver.jobs import run_worker
from bemserver.settings import Settings
settings = Settings(_env_file=None, log_level="warning", task_schedules={schedules!r})
asyncio.run(run_worker(settings, sys.argv[1], concurrency=int(sys.argv[2]), name=sys.argv[3]))
"""


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def fresh_database(server: str, name: str) -> str:
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    upgrade(url)
    return url


async def run_once(
    database: Database, settings: Settings, task: str, campaign: int, start, end, **parameters
) -> dict:
    async with database.unit_of_work() as session:
        run_id = await queue_run(
            session,
            task_name=task,
            campaign_id=campaign,
            start=start,
            end=end,
            parameters=parameters,
            started_by=None,
        )
    began = time.perf_counter()
    await execute_run(database, settings, run_id)
    elapsed = time.perf_counter() - began
    async with database.reader() as connection:
        row = (
            await connection.exec_driver_sql(
                "SELECT status, result, error, extract(epoch FROM finished_at - started_at) FROM task_runs WHERE id = %(id)s",
                {"id": run_id},
            )
        ).one()
    if row[0] != "succeeded":
        raise RuntimeError(f"{task} {row[0]}: {row[2]}")
    return {"seconds": round(elapsed, 3), "run_seconds": round(float(row[3]), 3), "result": row[1]}


def reused(url: str, name: str) -> int | None:
    """The campaign of a previous run, its Clean points and events gone."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute("SELECT id FROM campaigns WHERE name = %s", (name,)).fetchone()
        if row is None:
            return None
        connection.execute(
            "DELETE FROM timeseries_by_data_states b USING timeseries t WHERE t.id = b.timeseries_id"
            " AND t.campaign_id = %s AND b.data_state_id = (SELECT id FROM timeseries_data_states WHERE name = 'Clean')",
            (row[0],),
        )
        connection.execute(
            "DELETE FROM events e USING campaign_scopes s WHERE s.id = e.campaign_scope_id AND s.campaign_id = %s",
            (row[0],),
        )
        connection.execute("VACUUM ANALYZE timeseries_data")
        return row[0]


def cleanup_setup(url: str, timeseries: int, days: int, reuse: bool) -> int:
    if reuse and (campaign := reused(url, "Cleanup")) is not None:
        return campaign
    with psycopg.connect(url, autocommit=True) as connection:
        campaign, scopes = make_campaign(connection, OURS, "Cleanup", 1)
        make_timeseries(connection, OURS, campaign, scopes, timeseries, {"Min": "16", "Max": "28"})
        began = time.perf_counter()
        written = make_points(connection, OURS, campaign, days * 144)
        connection.execute("VACUUM ANALYZE timeseries_data")
        say(f"  {written:,} Raw points made in {time.perf_counter() - began:.1f} s")
    return campaign


def checks_setup(url: str, timeseries: int, reuse: bool) -> int:
    if reuse and (campaign := reused(url, "Checks")) is not None:
        return campaign
    with psycopg.connect(url, autocommit=True) as connection:
        campaign, scopes = make_campaign(connection, OURS, "Checks", 10)
        make_timeseries(
            connection, OURS, campaign, scopes, timeseries, {"Min": "10", "Max": "40", "Interval": "600"}
        )
        written = make_points(connection, OURS, campaign, 144, where="(s.i %% 10 <> 3 OR k < 20)")
        connection.execute(
            "UPDATE timeseries_data d SET value = 1000 FROM timeseries_by_data_states b JOIN timeseries t"
            " ON t.id = b.timeseries_id WHERE d.series_id = b.id AND t.campaign_id = %s AND t.id %% 7 = 0"
            " AND (extract(epoch FROM d.timestamp)::bigint / 600) %% 5 = 0",
            (campaign,),
        )
        connection.execute("VACUUM ANALYZE")
        say(f"  {written:,} Raw points made for {timeseries:,} timeseries")
    return campaign


def start_workers(url: str, count: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    script = WORKER.format(schedules=NO_SCHEDULES)
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    return [
        subprocess.Popen(
            [sys.executable, "-c", script, url, str(concurrency), f"bench-{n}"],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


async def backlog(
    url: str, database: Database, campaign: int, jobs: int, workers: int, concurrency: int
) -> float:
    processes = start_workers(url, workers, concurrency)
    try:
        async with database.reader() as connection:
            for _ in range(300):  # wait for every worker's heartbeat row
                alive = (
                    await connection.exec_driver_sql("SELECT count(*) FROM procrastinate_workers")
                ).scalar()
                if alive >= workers:
                    break
                await asyncio.sleep(0.1)
        async with database.unit_of_work() as session:
            await session.execute(text("DELETE FROM task_runs"))
            for n in range(jobs):
                end = START + timedelta(hours=n + 1)
                await queue_run(
                    session,
                    task_name="Cleanup",
                    campaign_id=campaign,
                    start=end - timedelta(hours=1),
                    end=end,
                    parameters={},
                    started_by=None,
                )
        async with database.reader() as connection:
            committed = (await connection.exec_driver_sql("SELECT clock_timestamp()")).scalar()
            while True:
                left = (
                    await connection.exec_driver_sql(
                        "SELECT count(*) FROM task_runs WHERE finished_at IS NULL"
                    )
                ).scalar()
                if not left:
                    break
                await asyncio.sleep(0.05)
            seconds = (
                await connection.exec_driver_sql(
                    "SELECT extract(epoch FROM max(finished_at) - %(committed)s) FROM task_runs",
                    {"committed": committed},
                )
            ).scalar()
            failed = (
                await connection.exec_driver_sql("SELECT count(*) FROM task_runs WHERE status <> 'succeeded'")
            ).scalar()
        if failed:
            raise RuntimeError(f"{failed} runs of the backlog did not succeed")
        return float(seconds)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        async with database.reader() as connection:
            await connection.exec_driver_sql("DELETE FROM procrastinate_workers")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("BEMSERVER_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432"),
    )
    parser.add_argument("--database", default="bemserver_bench_tasks")
    parser.add_argument("--timeseries", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--check-timeseries", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--skip", action="append", default=[], choices=("cleanup", "checks", "backlog"))
    parser.add_argument("--json")
    parser.add_argument("--reuse", action="store_true", help="keep the database and data of the last run")
    arguments = parser.parse_args(argv)
    if arguments.reuse:
        url = f"{arguments.server}/{arguments.database}"
    else:
        url = fresh_database(arguments.server, arguments.database)
    settings = Settings(_env_file=None, log_level="warning", task_schedules=NO_SCHEDULES)
    database = Database(url, pool_size=4)
    figures: dict[str, Any] = {"load_start": os.getloadavg()[0], "started": datetime.now(UTC).isoformat()}
    try:
        if "cleanup" not in arguments.skip:
            say(f"cleanup: {arguments.timeseries} timeseries x {arguments.days} days...")
            campaign = cleanup_setup(url, arguments.timeseries, arguments.days, arguments.reuse)
            end = START + timedelta(days=arguments.days)
            figures["cleanup"] = await run_once(
                database, settings, "Cleanup", campaign, START - timedelta(seconds=1), end
            )
            say(f"  Cleanup: {figures['cleanup']}")
        if "checks" not in arguments.skip:
            say(f"checks: {arguments.check_timeseries} timeseries x 1 day...")
            campaign = checks_setup(url, arguments.check_timeseries, arguments.reuse)
            day = (START, START + timedelta(days=1))
            for task in ("CheckMissingData", "CheckOutliers"):
                # Twice: a worker is a long-lived process, whose second run finds its statements
                # compiled (the first is in `first`); the second run's events are "still" ones.
                first = await run_once(database, settings, task, campaign, *day)
                figures[task] = {**await run_once(database, settings, task, campaign, *day), "first": first}
                say(f"  {task}: {figures[task]}")
        if "backlog" not in arguments.skip:
            with psycopg.connect(url, autocommit=True) as connection:
                campaign, _ = make_campaign(connection, OURS, f"Backlog {time.time()}", 1)
            for workers in (1, 2):
                seconds = await backlog(
                    url, database, campaign, arguments.jobs, workers, arguments.concurrency
                )
                figures[f"backlog_{workers}_workers_s"] = round(seconds, 3)
                say(f"  {arguments.jobs} jobs, {workers} worker process(es): {seconds:.2f} s")
            figures["backlog_ratio"] = round(
                figures["backlog_2_workers_s"] / figures["backlog_1_workers_s"], 3
            )
    finally:
        await database.dispose()
        figures["load_end"] = os.getloadavg()[0]
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump(figures, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
