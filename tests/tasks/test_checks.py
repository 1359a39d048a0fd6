"""CheckMissingData and CheckOutliers through the API: their state machine and their events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import SYSTEM
from bemserver.tasks.checks import check_missing_data, check_outliers
from bemserver.tasks.registry import Campaign as CampaignInfo
from bemserver.tasks.registry import TaskContext
from tests.conftest import make_settings

DAY1, DAY2, DAY3, DAY4 = "2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"


def hourly(day: str, values: list[float]) -> dict[str, float]:
    return {f"{day}T{hour:02d}:00:00Z": value for hour, value in enumerate(values)}


def window(day: str) -> tuple[str, str]:
    following = {DAY1: DAY2, DAY2: DAY3, DAY3: DAY4, DAY4: "2020-01-05"}[day]
    return f"{day}T00:00:00Z", f"{following}T00:00:00Z"


def summary(events: list[dict]) -> list[tuple]:
    return [(e["level"], e["category_id"], e["description"], e["timeseries"]) for e in events]


MISSING, PRESENT, OUTLIERS, NO_OUTLIERS = 1, 2, 3, 4


async def test_missing_data_new_still_and_back(campaign, worker):
    worker()
    full = await campaign.timeseries("Full", Interval="3600")
    half = await campaign.timeseries("Half", Interval="3600.0")  # a number, "3600.0" included
    silent = await campaign.timeseries("Silent")
    some = await campaign.timeseries("Some")
    await campaign.write(full, hourly(DAY1, [1.0] * 24))
    await campaign.write(half, hourly(DAY1, [1.0] * 12))
    await campaign.write(some, hourly(DAY1, [1.0]))

    run = await campaign.run("CheckMissingData", *window(DAY1))
    assert run["status"] == "succeeded", run
    assert run["result"] == {"events_created": 1, "timeseries_flagged": 2}
    events = await campaign.events()
    assert summary(events) == [
        ("WARNING", MISSING, "The following timeseries are missing: Half,Silent", [half, silent])
    ]
    assert events[0]["timestamp"] == "2020-01-01T00:00:00+00:00"
    assert events[0]["source"] == "BEMServer - Check missing data"
    assert events[0]["campaign_scope_id"] == campaign.scope

    await campaign.write(full, hourly(DAY2, [1.0] * 24))
    await campaign.write(half, hourly(DAY2, [1.0] * 24))
    await campaign.write(some, hourly(DAY2, [1.0]))
    await campaign.run("CheckMissingData", *window(DAY2))
    assert summary((await campaign.events())[1:]) == [
        ("INFO", MISSING, "The following timeseries are still missing: Silent", [silent]),
        ("INFO", PRESENT, "The following timeseries are not missing anymore: Half", [half]),
    ]

    # A looser ratio: 12 of 24 expected points are enough.
    await campaign.write(half, hourly(DAY3, [1.0] * 12))
    await campaign.write(some, hourly(DAY3, [1.0]))
    await campaign.write(full, hourly(DAY3, [1.0] * 24))
    await campaign.run("CheckMissingData", *window(DAY3), min_completeness_ratio=0.5)
    assert summary((await campaign.events())[3:]) == [
        ("INFO", MISSING, "The following timeseries are still missing: Silent", [silent]),
    ]


async def test_events_are_made_per_scope(campaign, worker):
    worker()
    other_scope = (await campaign.post("/campaign_scopes/", name="Other", campaign_id=campaign.id))["id"]
    first = await campaign.timeseries("First")
    second = await campaign.timeseries("Second", scope=other_scope)
    await campaign.run("CheckMissingData", *window(DAY1))
    events = await campaign.events()
    assert [(e["campaign_scope_id"], e["description"], e["timeseries"]) for e in events] == [
        (campaign.scope, "The following timeseries are missing: First", [first]),
        (other_scope, "The following timeseries are missing: Second", [second]),
    ]


async def test_two_events_at_one_instant_the_latest_made_wins(campaign, worker, engine):
    """The previous state comes from the newest event; at equal timestamps, the highest id."""
    worker()
    ts = await campaign.timeseries("T")
    for category in (MISSING, PRESENT):
        event = await campaign.post(
            "/events/",
            campaign_scope_id=campaign.scope,
            category_id=category,
            timestamp="2019-12-31T00:00:00Z",
            level="INFO",
            source="test",
        )
        await campaign.post("/timeseries_by_events/", timeseries_id=ts, event_id=event["id"])
    await campaign.run("CheckMissingData", *window(DAY1))
    assert summary((await campaign.events())[2:]) == [
        ("WARNING", MISSING, "The following timeseries are missing: T", [ts])
    ]


async def test_outliers_new_still_and_cleared(campaign, worker):
    worker()
    good = await campaign.timeseries("Good", Min="0", Max="10")
    bad = await campaign.timeseries("Bad", Min="0", Max="10")
    await campaign.timeseries("Empty", Min="0", Max="10")
    await campaign.write(good, hourly(DAY1, [0, 5, 10, 1, 2, 3, 4, 5, 6, 7]))
    await campaign.write(bad, hourly(DAY1, [0, 5, 11, 1, 2, 3, 4, 5, 6, -1]))

    run = await campaign.run("CheckOutliers", *window(DAY1))
    assert run["status"] == "succeeded", run
    events = await campaign.events()
    assert summary(events) == [("WARNING", OUTLIERS, "The following timeseries have outliers: Bad", [bad])]
    assert events[0]["source"] == "BEMServer - Check outliers"

    await campaign.write(bad, hourly(DAY2, [11] * 5))
    await campaign.write(good, hourly(DAY2, [11] * 5))
    await campaign.run("CheckOutliers", *window(DAY2))
    assert summary((await campaign.events())[1:]) == [
        ("WARNING", OUTLIERS, "The following timeseries have outliers: Good", [good]),
        ("INFO", OUTLIERS, "The following timeseries still have outliers: Bad", [bad]),
    ]

    # No data in the window: a flagged timeseries is cleared; a looser ratio clears the other.
    await campaign.write(good, hourly(DAY3, [1, 2, 3, 4, 50]))
    await campaign.run("CheckOutliers", *window(DAY3), min_correctness_ratio=0.8)
    assert summary((await campaign.events())[3:]) == [
        (
            "INFO",
            NO_OUTLIERS,
            "The following timeseries don't have outliers anymore: Good,Bad",
            sorted([good, bad]),
        ),
    ]


@pytest.mark.parametrize("check", [check_missing_data, check_outliers])
async def test_a_check_reads_the_points_in_one_query_whatever_the_number_of_timeseries(
    campaign, engine, check
):
    counts = []
    for total in (3, 30):
        for n in range(len(counts) * 3, total):
            ts = await campaign.timeseries(f"T{n}", Interval="60", Min="0", Max="1")
            await campaign.write(ts, hourly(DAY1, [0.5, 2.0]))
        statements: list[str] = []

        def count(*args: object, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with AsyncSession(engine) as session:
                context = TaskContext(
                    session=session,
                    caller=SYSTEM,
                    campaign=CampaignInfo(campaign.id, campaign.name, "UTC"),
                    start=datetime(2020, 1, 1, tzinfo=UTC),
                    end=datetime(2020, 1, 2, tzinfo=UTC),
                    parameters={"min_completeness_ratio": 0.9, "min_correctness_ratio": 0.9},
                    settings=make_settings(),
                    run_id=0,
                )
                await check(context)
                await session.rollback()
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        counts.append((len(statements), sum("timeseries_data " in statement for statement in statements)))
    assert counts[0] == counts[1]
    assert counts[0][1] == 1
