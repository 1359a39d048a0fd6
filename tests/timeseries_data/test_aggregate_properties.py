"""Aggregates of random points, in random timezones and bucket widths, across DST changes, checked
against a plain Python computation, from the rollups and from the points alike (identical answers).

Hypothesis draws the cases (bounded and derandomized, so runs repeat); they are then sent in turn.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bemserver.timeseries_data import aggregate
from tests.timeseries_data import aggregate_model
from tests.timeseries_data.aggregate_helpers import get_aggregate
from tests.timeseries_data.conftest import delete_data, post_json

EXAMPLES = int(os.environ.get("BEMSERVER_AGGREGATE_EXAMPLES", "60"))
TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
# Instants near DST changes: Paris and New York in spring and fall, Lord Howe (30-minute shift)
CHANGES = [
    datetime(2020, 3, 29, 1, tzinfo=UTC),
    datetime(2020, 10, 25, 1, tzinfo=UTC),
    datetime(2020, 3, 8, 7, tzinfo=UTC),
    datetime(2020, 11, 1, 6, tzinfo=UTC),
    datetime(2020, 4, 4, 15, tzinfo=UTC),
    datetime(2020, 10, 3, 15, 30, tzinfo=UTC),
]
WIDTHS = [
    (1, "second"),
    (45, "second"),
    (1, "minute"),
    (5, "minute"),
    (15, "minute"),
    (30, "minute"),
    (90, "minute"),
    (1, "hour"),
    (2, "hour"),
    (5, "hour"),
    (1, "day"),
    (1, "week"),
    (1, "month"),
    (1, "year"),
]
# About how many seconds a window of that unit spans, to keep the bucket counts small
SPANS = {"second": 900, "minute": 2 * 86_400, "hour": 6 * 86_400, "day": 40 * 86_400, "week": 120 * 86_400}
LONG = 800 * 86_400
AGGREGATIONS = ["avg", "sum", "min", "max", "count"]
VALUES = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.floats(-1e6, 1e6).map(lambda v: round(v, 3)),
    st.floats(-1e12, 1e12, allow_nan=False, allow_subnormal=False),
    st.sampled_from(
        [
            0.1,
            0.2,
            1 / 3,
            1e-7,
            2.2250738585072014e-308,
            -0.0,
            123456789.123456,
            999999999.999999,
            2.5e-300,
            1e300,
        ]
    ),
)


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    value, unit = draw(st.sampled_from(WIDTHS))
    span = SPANS.get(unit, LONG)
    center = draw(st.sampled_from(CHANGES))
    start = center - timedelta(
        seconds=draw(st.integers(0, span)), microseconds=draw(st.integers(0, 10**6 - 1))
    )
    end = start + timedelta(seconds=draw(st.integers(0, span)))
    # Points around the window (some before it: the first bucket widens), some on quarter hours
    offsets = st.one_of(
        st.integers(-span // 4, span + span // 4).map(lambda s: timedelta(seconds=s)),
        st.integers(-4, 4 * span // 900).map(lambda q: timedelta(minutes=15 * q)),
        st.integers(0, 10**6).map(lambda u: timedelta(microseconds=u)),
    )
    moments = draw(st.lists(offsets, max_size=40))
    points = {start + offset: draw(VALUES) for offset in moments}
    aggregation = draw(st.sampled_from(AGGREGATIONS))
    return {
        "timezone": draw(st.sampled_from(TIMEZONES)),
        "value": value,
        "unit": unit,
        "aggregation": aggregation,
        "start": start,
        "end": end,
        "points": points,
        "convert": aggregation != "count" and draw(st.booleans()),  # a count has no unit
    }


def drawn(strategy: Any, examples: int) -> list[Any]:
    found: list[Any] = []

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Any) -> None:
        found.append(case)

    collect()
    return found


def expected_json(case: dict[str, Any], scale: float, offset: float) -> dict[str, Any]:
    """The model's answer as JSON reads it: non-finite values are null."""
    expected = aggregate_model.aggregate(
        case["points"],
        case["start"],
        case["end"],
        case["timezone"],
        case["value"],
        case["unit"],
        case["aggregation"],
        scale,
        offset,
    )
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in expected.items()}


async def answer(client: Any, world: Any, case: dict[str, Any], series: int, **params: Any) -> Any:
    response = await get_aggregate(
        client,
        world.admin,
        [series],
        case["start"].isoformat(),
        case["end"].isoformat(),
        case["value"],
        case["unit"],
        case["aggregation"],
        timezone=case["timezone"],
        **params,
    )
    assert response.status_code == 200, response.text
    return response


async def test_aggregates_match_the_model_from_rollups_and_from_points(client, world):
    # ts2 is in kW: converted to W (x1000) in half of the cases
    series = world.ts[1]
    for case in drawn(cases(), EXAMPLES):
        await delete_data(client, world.admin, [series], "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z")
        body = {str(series): {moment.isoformat(): value for moment, value in case["points"].items()}}
        assert (await post_json(client, world.admin, body)).status_code == 201
        params = {"convert_to": ["W"]} if case["convert"] else {}
        scale = 1000.0 if case["convert"] else 1.0
        from_rollups = await answer(client, world, case, series, **params)
        with mock.patch.object(aggregate, "LEVELS", ()):
            from_points = await answer(client, world, case, series, **params)
        assert from_rollups.content == from_points.content, case
        assert from_rollups.json() == {str(series): expected_json(case, scale, 0.0)}, case


@pytest.mark.parametrize("timezone", TIMEZONES)
async def test_csv_answers_hold_the_same_numbers(client, world, timezone):
    series = world.ts[0]
    start = datetime(2020, 3, 28, tzinfo=UTC)
    points = {start + timedelta(minutes=37 * i): round(math.sin(i), 4) for i in range(200)}
    await post_json(client, world.admin, {str(series): {m.isoformat(): v for m, v in points.items()}})
    end = start + timedelta(days=5)
    response = await get_aggregate(
        client,
        world.admin,
        [series],
        start.isoformat(),
        end.isoformat(),
        3,
        "hour",
        "avg",
        accept="text/csv",
        timezone=timezone,
    )
    expected = aggregate_model.aggregate(points, start, end, timezone, 3, "hour", "avg")
    lines = response.text.splitlines()
    assert lines[0] == f"Datetime,{series}"
    assert len(lines) == len(expected) + 1
    for line, (label, value) in zip(lines[1:], expected.items(), strict=True):
        stamp, cell = line.split(",")
        assert stamp == datetime.fromisoformat(label).strftime("%Y-%m-%dT%H:%M:%S%z")
        assert cell == ("" if value is None else repr(value))
