"""Factories of the tasks domain: per-campaign schedules and task runs."""

from __future__ import annotations

from tests.campaigns.factories import shared_campaign
from tests.factories import Maker, Row, factory

TASK_NAMES = ("Cleanup", "CheckMissingData", "CheckOutliers", "DownloadWeatherData")


@factory("/tasks_by_campaigns/", unique=False)
async def task_by_campaign(maker: Maker, n: int) -> Row:
    """A schedule of the shared campaign (several rows per task and campaign are allowed)."""
    return {
        "task_name": TASK_NAMES[n % 4],
        "campaign_id": (await shared_campaign(maker))["id"],
        "offset_unit": "hour",
        "start_offset": -n - 1,
        "end_offset": 0,
        "is_enabled": n % 2 == 0,
    }


@factory("/task_runs/", creates=True)
async def task_run(maker: Maker, n: int) -> Row:
    """A queued run of Cleanup over the shared campaign, started by the admin (no worker runs it)."""
    body = {
        "task_name": "Cleanup",
        "campaign_id": (await shared_campaign(maker))["id"],
        "start_time": f"2020-01-{n % 28 + 1:02d}T00:00:00+00:00",
        "end_time": f"2020-01-{n % 28 + 1:02d}T12:00:00+00:00",
    }
    response = await maker.client.post("/tasks/run", json=body, headers=maker.headers)
    assert response.status_code == 204, response.text
    run = await maker.client.get(response.headers["Location"], headers=maker.headers)
    assert run.status_code == 200, run.text
    return run.json()
