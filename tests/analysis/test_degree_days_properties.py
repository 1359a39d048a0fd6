"""Degree days of random hourly temperatures, in timezones whose midnights are skipped or repeated
and whose offsets are not whole hours, checked against a plain Python computation. Each case is
asked twice: the first answer brings the rollups up to date (the general path), the second reads
the hourly means with the site's facts when the grid allows it (the one-statement path)."""

from __future__ import annotations

import math
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st
from sqlalchemy import text

from bemserver.analysis import degree_days
from bemserver.timeseries_data.buckets import BucketUnit, local_midnight, next_period, period_start
from bemserver.timeseries_data.params import scale
from tests.analysis.test_degree_days import weather_link
from tests.helpers import create, sql_statements
from tests.timeseries_data.conftest import CLEAN, delete_data, post_json
from tests.timeseries_data.test_aggregate_properties import drawn

EXAMPLES = int(os.environ.get("BEMSERVER_ANALYSIS_EXAMPLES", "40"))
# (timezone, a local date with an offset change): Paris and New York (DST at 2 or 3 am), Lord Howe
# (a 30-minute shift), Kathmandu (+05:45), Santiago and Sao Paulo (midnight skipped), Havana
# (midnight skipped in March, repeated in November), UTC.
CHANGES = [
    ("Europe/Paris", date(2020, 3, 29)),
    ("Europe/Paris", date(2020, 10, 25)),
    ("America/New_York", date(2020, 11, 1)),
    ("Australia/Lord_Howe", date(2020, 4, 5)),
    ("Australia/Lord_Howe", date(2020, 10, 4)),
    ("Asia/Kathmandu", date(2020, 6, 1)),
    ("America/Santiago", date(2020, 9, 6)),
    ("America/Sao_Paulo", date(2018, 11, 4)),
    ("America/Havana", date(2020, 3, 8)),
    ("America/Havana", date(2020, 11, 1)),
    ("UTC", date(2020, 2, 28)),
]
VALUES = st.floats(-25, 40).map(lambda v: round(v, 2))


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    timezone, change = draw(st.sampled_from(CHANGES))
    start = change - timedelta(days=draw(st.integers(0, 4)))
    end = start + timedelta(days=draw(st.integers(0, 8)))
    seconds = st.integers(-86_400, (end - start).days * 86_400 + 2 * 86_400)
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    moments = draw(st.lists(seconds.map(lambda s: origin + timedelta(seconds=s)), max_size=60, unique=True))
    unit, base = draw(st.sampled_from([("°C", 18.0), ("°C", 4.5), ("°C", 11.0), ("°F", 60.0), ("K", 290.0)]))
    return {
        "timezone": timezone,
        "start": start,
        "end": end,
        "points": {moment: draw(VALUES) for moment in moments},
        "type": draw(st.sampled_from(["heating", "cooling"])),
        "method": draw(st.sampled_from(["min_max", "integrated"])),
        "period": draw(st.sampled_from(["day", "day", "week", "month"])),
        "unit": unit,
        "base": base,
    }


def expected(case: dict[str, Any]) -> dict[str, float | None]:
    """Hourly buckets from the first local midnight to the last (the last bucket whole, as the
    aggregates widen their window), each in the local date its start falls on; each day's value by
    the documented formulas; days summed per period."""
    tz = ZoneInfo(case["timezone"])
    start, end = case["start"], case["end"]
    if end <= start:
        return {}
    factor, offset = scale("°C", case["unit"])
    hour = timedelta(hours=1)
    anchor = local_midnight(start, tz)
    stop = anchor - (anchor - local_midnight(end, tz)) // hour * hour  # whole hours: the last one widened
    hours: dict[datetime, list[float]] = {}
    for moment, value in case["points"].items():
        if anchor <= moment < stop:
            hours.setdefault(anchor + (moment - anchor) // hour * hour, []).append(value)
    days: dict[date, list[float]] = {}
    for bucket, values in sorted(hours.items()):
        day = bucket.astimezone(tz).date()
        if start <= day < end:
            days.setdefault(day, []).append(sum(values) / len(values) * factor + offset)
    sign = 1.0 if case["type"] == "heating" else -1.0
    unit = BucketUnit(case["period"])
    totals: dict[date, float | None] = {}
    first = period_start(start, unit)
    while first < end:
        totals[first] = None
        first = next_period(first, unit)
    for day, means in sorted(days.items()):
        if case["method"] == "integrated":
            value = sum(max(sign * (case["base"] - mean), 0.0) for mean in means) / len(means)
        else:
            value = max(sign * (case["base"] - (min(means) + max(means)) / 2), 0.0)
        key = period_start(day, unit)
        totals[key] = value if totals[key] is None else totals[key] + value  # type: ignore[operator]
    return {local_midnight(first, tz).astimezone(tz).isoformat(): value for first, value in totals.items()}


def close(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if list(found) != list(wanted):
        return False
    for key, value in wanted.items():
        if value is None or found[key] is None:
            if value is not found[key]:
                return False
        elif not math.isclose(found[key], value, rel_tol=1e-9, abs_tol=1e-9):
            return False
    return True


@pytest.fixture
async def site(client, world) -> int:
    made = await create(
        client, "/sites/", world.admin.headers, name="Random weather", campaign_id=world.campaign
    )
    await weather_link(client, world, made["id"], world.ts[0])
    return int(made["id"])


async def _store(client: Any, world: Any, engine: Any, case: dict[str, Any]) -> None:
    """The case's timezone for the campaign, its points as the temperature's only Clean data."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE campaigns SET timezone = :tz WHERE id = :id"),
            {"tz": case["timezone"], "id": world.campaign},
        )
    removed = await delete_data(
        client, world.admin, [world.ts[0]], "2018-01-01T00:00:00Z", "2022-01-01T00:00:00Z", data_state=CLEAN
    )
    assert removed.status_code == 204
    if case["points"]:
        body = {str(world.ts[0]): {moment.isoformat(): value for moment, value in case["points"].items()}}
        assert (await post_json(client, world.admin, body, data_state=CLEAN)).status_code == 201


async def _answers(client: Any, world: Any, site: int, case: dict[str, Any]) -> list[tuple[Any, int]]:
    """The answer twice (rollups refreshed by the first, up to date for the second), each with
    the number of SQL statements it took."""
    params = {key: case[key] for key in ("type", "method", "period", "unit", "base")}
    params |= {"start_date": case["start"].isoformat(), "end_date": case["end"].isoformat()}
    found = []
    for _ in range(2):
        with sql_statements() as seen:
            response = await client.get(
                f"/sites/{site}/degree_days", params=params, headers=world.admin.headers
            )
        assert response.status_code == 200, (case, response.text)
        found.append((response.json()["degree_days"], len(seen)))
    return found


async def test_degree_days_match_the_definition(client, world, engine, site):
    for case in drawn(cases(), EXAMPLES):
        await _store(client, world, engine, case)
        wanted = expected(case)
        for answer, _ in await _answers(client, world, site, case):
            assert close(answer, wanted), (case, answer, wanted)


# Whether the hourly means come with the site's facts (2 statements with the caller's) or by the
# general path (the caller, the facts, the refresh, the days: 4) around each change of offset.
ONE_STATEMENT = {
    "Europe/Paris": True,
    "America/New_York": True,
    "UTC": True,
    "America/Santiago": True,  # midnight skipped: the day begins at 01:00
    "America/Sao_Paulo": True,
    "Asia/Kathmandu": False,  # midnights are not whole UTC hours: quarters make the hours
}


@pytest.mark.parametrize(("timezone", "change"), CHANGES)
@pytest.mark.parametrize("method", ["min_max", "integrated"])
async def test_around_each_change_of_offset(client, world, engine, site, timezone, change, method):
    origin = datetime(change.year, change.month, change.day, tzinfo=UTC) - timedelta(days=3)
    points = {origin + timedelta(minutes=20 * i): round(10 + 12 * math.sin(i / 9), 2) for i in range(7 * 72)}
    case = {
        "timezone": timezone,
        "start": change - timedelta(days=2),
        "end": change + timedelta(days=3),
        "points": points,
        "type": "heating",
        "method": method,
        "period": "day",
        "unit": "°C",
        "base": 15.0,
    }
    await _store(client, world, engine, case)
    wanted = expected(case)
    (first, _), (second, statements) = await _answers(client, world, site, case)
    assert close(first, wanted), (first, wanted)
    assert close(second, wanted), (second, wanted)
    if timezone == "America/Havana":  # midnight skipped in March, repeated in November
        one = change.month == 3
    elif timezone == "Australia/Lord_Howe":  # +11 then +10:30 in April: from a whole hour
        one = change.month == 4
    else:
        one = ONE_STATEMENT[timezone]
    assert statements == (2 if one else 4), statements


class TestStatements:
    async def test_one_statement_after_authentication(self, client, world, site):
        points = {
            f"2020-03-{day:02}T{hour:02}:00:00+00:00": float(hour)
            for day in range(1, 30)
            for hour in range(24)
        }
        assert (
            await post_json(client, world.admin, {str(world.ts[0]): points}, data_state=CLEAN)
        ).status_code == 201
        params = {"start_date": "2020-03-01", "end_date": "2020-04-01", "period": "day"}
        path, headers = f"/sites/{site}/degree_days", world.admin.headers
        with sql_statements() as seen:
            first = await client.get(path, params=params, headers=headers)
        # The caller, the facts (with the pending points), the refresh, then the days by the general path
        assert len(seen) == 4, seen
        for user in (world.admin, world.user):
            with sql_statements() as seen:
                again = await client.get(path, params=params, headers=user.headers)
            assert again.json() == first.json()
            assert len(seen) == 2, seen  # the caller's row, then the facts with the days
        values = first.json()["degree_days"]
        assert len(values) == 31 and values["2020-03-31T00:00:00+02:00"] is None
        assert values["2020-03-02T00:00:00+01:00"] == pytest.approx(18 - 11.5)

    async def test_a_conversion_reads_the_days_again(self, client, world, site):
        points = {f"2020-03-02T{hour:02}:00:00+00:00": 10.0 for hour in range(24)}
        assert (
            await post_json(client, world.admin, {str(world.ts[0]): points}, data_state=CLEAN)
        ).status_code == 201
        params = {
            "start_date": "2020-03-02",
            "end_date": "2020-03-03",
            "period": "day",
            "unit": "°F",
            "base": 60,
        }
        await client.get(f"/sites/{site}/degree_days", params=params, headers=world.admin.headers)
        with sql_statements() as seen:
            response = await client.get(
                f"/sites/{site}/degree_days", params=params, headers=world.admin.headers
            )
        assert len(seen) == 4, seen  # the caller, the facts, the refresh check, the converted days
        assert response.json()["degree_days"] == {"2020-03-02T00:00:00+01:00": pytest.approx(60 - 50)}


@pytest.mark.parametrize(
    "timezone", sorted({zone for zone, _ in CHANGES} | {"Europe/Dublin", "Pacific/Apia"})
)
def test_midnights_are_local_midnights(timezone):
    tz = ZoneInfo(timezone)
    for first in (date(1890, 1, 1), date(2011, 1, 1), date(2018, 1, 1), date(2020, 1, 1)):
        found = degree_days.midnights(first, first + timedelta(days=400), tz)
        for k, (seconds, label) in enumerate(zip(found.seconds, found.texts, strict=True)):
            moment = local_midnight(first + timedelta(days=k), tz)
            assert (seconds, label) == (moment.timestamp(), moment.astimezone(tz).isoformat())
