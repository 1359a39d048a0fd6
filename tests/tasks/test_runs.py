"""Runs: failures recorded, a killed worker's run retried without duplicates, plugins."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

from sqlalchemy import text

from bemserver.tasks import registry
from tests.tasks import plugin
from tests.tasks.conftest import FAST, eventually, stored

del plugin  # imported for its tasks

WORKER = """
import asyncio, json, sys
import tests.tasks.plugin
from bemserver.jobs import run_worker
from bemserver.settings import Settings

settings = Settings(_env_file=None, log_level="warning", task_schedules={"Cleanup": "", "CheckMissingData": "",
    "CheckOutliers": "", "DownloadWeatherData": ""})
asyncio.run(run_worker(settings, sys.argv[1], concurrency=1, **json.loads(sys.argv[2])))
"""


def hourly(values: list[float]) -> dict[str, float]:
    return {f"2020-01-01T{hour:02d}:00:00Z": value for hour, value in enumerate(values)}


async def test_a_task_that_raises_fails_its_run_and_the_worker_goes_on(campaign, worker):
    worker()
    failed = await campaign.run("AlwaysFails", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")
    assert failed["status"] == "failed"
    assert failed["error"] == "This task always fails"
    assert failed["finished_at"] is not None
    weather = await campaign.run(
        "DownloadWeatherData", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", sites=["Nowhere"]
    )
    assert weather["status"] == "failed"
    assert weather["error"] == "Can't find site Nowhere in campaign Campaign"
    cleanup = await campaign.run("Cleanup", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")
    assert cleanup["status"] == "succeeded"


async def test_runs_are_listed_and_filtered(campaign, worker):
    worker()
    await campaign.run("AlwaysFails", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")
    await campaign.run("Cleanup", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")
    headers = campaign.admin.headers
    runs = (await campaign.client.get("/task_runs/", headers=headers)).json()
    assert [(run["task_name"], run["status"]) for run in runs] == [
        ("AlwaysFails", "failed"),
        ("Cleanup", "succeeded"),
    ]
    failed = await campaign.client.get("/task_runs/", params={"status": "failed"}, headers=headers)
    assert [run["task_name"] for run in failed.json()] == ["AlwaysFails"]
    by_name = await campaign.client.get("/task_runs/", params={"task_name": "Cleanup"}, headers=headers)
    assert [run["status"] for run in by_name.json()] == ["succeeded"]
    page = await campaign.client.get("/task_runs/", params={"page_size": 1, "page": 2}, headers=headers)
    assert json.loads(page.headers["X-Pagination"])["total"] == 2
    assert [run["task_name"] for run in page.json()] == ["Cleanup"]


async def test_a_worker_killed_in_a_task_leaves_its_run_to_a_retry_without_duplicates(
    campaign, worker, engine, database_url, tmp_path: Path
):
    ts = await campaign.timeseries("T", Min="0", Max="10")
    await campaign.write(ts, hourly([1, 2, 50, 3, 4]))
    reached = tmp_path / "reached"
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, database_url, json.dumps(FAST)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        response = await campaign.client.post(
            "/tasks/run",
            json={
                "task_name": "CleanThenHang",
                "campaign_id": campaign.id,
                "start_time": "2020-01-01T00:00:00Z",
                "end_time": "2020-01-02T00:00:00Z",
                "parameters": {"reached": str(reached), "min_correctness_ratio": 0.9},
            },
            headers=campaign.admin.headers,
        )
        location = response.headers["Location"]

        async def hanging() -> bool:
            return reached.exists()

        await eventually(hanging, timeout=60)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert process.returncode == -9, stderr.decode()
    run = (await campaign.client.get(location, headers=campaign.admin.headers)).json()
    assert run["status"] == "running"
    assert run["attempts"] == 1

    worker()  # notices the dead worker, puts the job back in the queue, runs it again

    async def finished() -> dict | None:
        current = (await campaign.client.get(location, headers=campaign.admin.headers)).json()
        return current if current["status"] in ("succeeded", "failed") else None

    run = await eventually(finished, timeout=60)
    assert run["status"] == "succeeded", run
    assert run["attempts"] == 2
    assert await stored(engine, ts) == {
        "2020-01-01T01:00:00Z": 2.0,
        "2020-01-01T03:00:00Z": 3.0,
        "2020-01-01T04:00:00Z": 4.0,
    }
    events = await campaign.events()
    assert [(event["description"], event["timeseries"]) for event in events] == [
        ("The following timeseries have outliers: T", [ts])
    ]
    async with engine.connect() as connection:
        notifications = await connection.scalar(text("SELECT count(*) FROM timeseries_by_events"))
    assert notifications == 1


async def test_a_package_adds_tasks_through_the_entry_point_group(monkeypatch):
    loaded: list[str] = []

    def entry_points(group: str) -> list[EntryPoint]:
        assert group == "bemserver.tasks"
        loaded.append(group)
        return [EntryPoint("sample", "tests.tasks.plugin", group)]

    monkeypatch.setattr(registry, "entry_points", entry_points)
    monkeypatch.setattr(registry, "_loaded", False)
    tasks = registry.catalogue()
    assert loaded == ["bemserver.tasks"]
    assert {"Cleanup", "AlwaysFails", "CleanThenHang"} <= set(tasks)
    await asyncio.sleep(0)
