"""Cleanup through the API: Raw within [Min, Max] into Clean, the window's bounds excluded."""

from __future__ import annotations

from tests.tasks.conftest import CLEAN, stored


def hourly(values: list[float | None], day: str = "2020-01-01") -> dict[str, float | None]:
    return {f"{day}T{hour:02d}:00:00Z": value for hour, value in enumerate(values)}


async def test_cleanup_copies_the_values_within_min_and_max(campaign, worker, engine):
    worker()
    bounded = await campaign.timeseries("Bounded", Min="0", Max="10")
    free = await campaign.timeseries("Free")
    await campaign.write(bounded, hourly([-1, 0, 5, 10, 11, 3, None]))
    await campaign.write(free, hourly([-100, 100, 2]))
    run = await campaign.run("Cleanup", "2020-01-01T00:00:00Z", "2020-01-01T06:00:00Z")
    assert run["status"] == "succeeded", run
    assert run["result"] == {"timeseries": 2, "points_written": 6}
    # Both bounds of the window are excluded (00:00 and 06:00); Min and Max themselves are valid.
    assert await stored(engine, bounded) == {
        "2020-01-01T01:00:00Z": 0.0,
        "2020-01-01T02:00:00Z": 5.0,
        "2020-01-01T03:00:00Z": 10.0,
        "2020-01-01T05:00:00Z": 3.0,
    }
    assert await stored(engine, free) == {"2020-01-01T01:00:00Z": 100.0, "2020-01-01T02:00:00Z": 2.0}
    # Clean data is read through the API like any other state.
    response = await campaign.client.get(
        "/timeseries_data/",
        params={
            "timeseries": bounded,
            "data_state": CLEAN,
            "start_time": "2020-01-01T00:00:00Z",
            "end_time": "2020-01-02T00:00:00Z",
        },
        headers=campaign.admin.headers,
    )
    assert response.json() == {
        str(bounded): {
            "2020-01-01T01:00:00+00:00": 0.0,
            "2020-01-01T02:00:00+00:00": 5.0,
            "2020-01-01T03:00:00+00:00": 10.0,
            "2020-01-01T05:00:00+00:00": 3.0,
        }
    }


async def test_cleanup_again_keeps_existing_clean_values_and_writes_nothing_twice(campaign, worker, engine):
    worker()
    ts = await campaign.timeseries("T", Max="10")
    await campaign.write(ts, hourly([1, 2, 3, 4]))
    await campaign.write(ts, {"2020-01-01T02:00:00Z": 42.0}, state=CLEAN)
    first = await campaign.run("Cleanup", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")
    again = await campaign.run("Cleanup", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")
    assert first["result"]["points_written"] == 2
    assert again["result"]["points_written"] == 0
    assert await stored(engine, ts) == {
        "2020-01-01T01:00:00Z": 2.0,
        "2020-01-01T02:00:00Z": 42.0,
        "2020-01-01T03:00:00Z": 4.0,
    }


async def test_a_user_cleans_only_what_they_may_read(campaign, worker, engine, users):
    """The run acts as its author: a member of the campaign but of no scope reads no timeseries."""
    worker()
    ts = await campaign.timeseries("T")
    await campaign.write(ts, hourly([1, 2, 3]))
    group = await campaign.post("/user_groups/", name="Members")
    await campaign.post("/users_by_user_groups/", user_id=users.active.id, user_group_id=group["id"])
    await campaign.post("/user_groups_by_campaigns/", campaign_id=campaign.id, user_group_id=group["id"])
    run = await campaign.run("Cleanup", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", user=users.active)
    assert run["status"] == "succeeded", run
    assert run["result"] == {"timeseries": 0, "points_written": 0}
    assert await stored(engine, ts) == {}
    # The author sees their run among the campaign's runs.
    runs = await campaign.client.get("/task_runs/", headers=users.active.headers)
    assert [r["id"] for r in runs.json()] == [run["id"]]
