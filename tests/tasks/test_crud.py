"""GET /tasks/, POST /tasks/run and /tasks_by_campaigns/ as clients see them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Maker  # isort: skip (loads every factory module first)
from tests.campaigns.factories import shared_campaign
from tests.tasks.factories import TASK_NAMES

pytestmark = pytest.mark.usefixtures("users")


async def test_the_catalogue_lists_the_four_tasks_with_defaults_and_schedules(client, user):
    response = await client.get("/tasks/", headers=user.headers)
    assert response.status_code == 200
    # (other tests of this process may have added tasks: tests/tasks/plugin.py)
    builtin = [task for task in response.json() if task["name"] in TASK_NAMES]
    assert builtin == [
        {
            "name": "CheckMissingData",
            "default_parameters": {"min_completeness_ratio": 0.9},
            "schedule": {"CheckMissingDataScheduled": "0 2 * * *"},
        },
        {
            "name": "CheckOutliers",
            "default_parameters": {"min_correctness_ratio": 0.9},
            "schedule": {"CheckOutliersScheduled": "0 2 * * *"},
        },
        {"name": "Cleanup", "default_parameters": {}, "schedule": {"CleanupScheduled": "*/10 * * * *"}},
        {
            "name": "DownloadWeatherData",
            "default_parameters": {"sites": [], "forecast": False},
            "schedule": {"DownloadWeatherDataScheduled": "0 2 * * *"},
        },
    ]


async def test_a_setting_overrides_or_turns_off_a_schedule(client_for, user):
    other = await client_for(task_schedules={"Cleanup": "*/5 * * * *", "CheckOutliers": ""})
    tasks = {
        task["name"]: task["schedule"] for task in (await other.get("/tasks/", headers=user.headers)).json()
    }
    assert tasks["Cleanup"] == {"CleanupScheduled": "*/5 * * * *"}
    assert tasks["CheckOutliers"] == {}


async def test_a_schedule_row_keeps_the_task_name_it_was_sent_and_the_filter_matches_it(client, users):
    maker = Maker(client, users)
    campaign = await shared_campaign(maker)
    created = await maker.create("/tasks_by_campaigns/", task_name="Cleanup", campaign_id=campaign["id"])
    assert created == {
        "id": created["id"],
        "is_enabled": True,
        "parameters": {},
        "offset_unit": "day",
        "task_name": "Cleanup",
        "campaign_id": campaign["id"],
        "start_offset": -1,
        "end_offset": 0,
    }
    found = await client.get(
        "/tasks_by_campaigns/", params={"task_name": "Cleanup"}, headers=users.admin.headers
    )
    assert [row["id"] for row in found.json()] == [created["id"]]
    none = await client.get(
        "/tasks_by_campaigns/", params={"task_name": "CleanupScheduled"}, headers=users.admin.headers
    )
    assert none.json() == []


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"task_name": "Nope"}, 422, {"message": "Unknown task"}),
        ({"task_name": "CheckOutliers", "parameters": {"min_correctness_ratio": "x"}}, 422, None),
        ({"task_name": "CheckOutliers", "parameters": {"unknown": 1}}, 422, None),
        ({"task_name": "Cleanup", "start_offset": 10**9}, 422, None),
        ({"task_name": "Cleanup", "offset_unit": "fortnight"}, 422, None),
    ],
)
async def test_a_schedule_row_is_checked(client, users, body, status, expected):
    maker = Maker(client, users)
    campaign = await shared_campaign(maker)
    response = await client.post(
        "/tasks_by_campaigns/", json={"campaign_id": campaign["id"], **body}, headers=users.admin.headers
    )
    assert response.status_code == status, response.text
    if expected:
        assert {key: response.json()[key] for key in expected} == expected


def run_body(campaign_id: int, /, **change: Any) -> dict[str, Any]:
    """A POST /tasks/run body: CheckMissingData over 2020-01-01, with `change` applied."""
    return {
        "task_name": "CheckMissingData",
        "campaign_id": campaign_id,
        "start_time": "2020-01-01T00:00:00+00:00",
        "end_time": "2020-01-02T00:00:00+00:00",
        **change,
    }


async def test_running_a_task_answers_204_and_names_the_run(client, users):
    maker = Maker(client, users)
    campaign = await shared_campaign(maker)
    body = run_body(campaign["id"])
    response = await client.post("/tasks/run", json=body, headers=users.admin.headers)
    assert response.status_code == 204, response.text
    run = (await client.get(response.headers["Location"], headers=users.admin.headers)).json()
    assert run["status"] == "queued"
    assert run["task_name"] == "CheckMissingData"
    assert run["parameters"] == {}
    assert run["started_by"] == users.admin.id
    # The member-less user sees neither the run nor the list's rows.
    assert (await client.get(response.headers["Location"], headers=users.active.headers)).status_code == 403
    assert (await client.get("/task_runs/", headers=users.active.headers)).json() == []


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"task_name": "Nope"}, 422, "Unknown task"),
        ({"task_name": None}, 422, None),
        ({"parameters": {"min_completeness_ratio": -1}}, 422, None),
        ({"campaign_id": 999999}, 422, None),
        ({"end_time": "2019-01-01T00:00:00+00:00"}, 422, None),
        ({"start_time": "2020-01-01T00:00:00"}, 422, None),
    ],
)
async def test_a_run_request_is_checked(client, users, change, status, message):
    maker = Maker(client, users)
    campaign = await shared_campaign(maker)
    body = run_body(campaign["id"], **change)
    response = await client.post("/tasks/run", json=body, headers=users.admin.headers)
    assert response.status_code == status, response.text
    if message:
        assert response.json()["message"] == message


async def test_a_user_may_not_run_a_task_on_a_campaign_they_cannot_read(client, users):
    campaign = await shared_campaign(Maker(client, users))
    body = {
        "task_name": "Cleanup",
        "campaign_id": campaign["id"],
        "start_time": "2020-01-01T00:00:00+00:00",
        "end_time": "2020-01-02T00:00:00+00:00",
    }
    response = await client.post("/tasks/run", json=body, headers=users.active.headers)
    assert response.status_code == 403
