"""Completeness of random points, in random timezones (DST changes included) and bucket widths,
checked against a plain Python computation: bounds from the aggregate model, points counted by
comparison, then the documented formulas."""

from __future__ import annotations

import itertools
import math
import os
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from tests.analysis.conftest import get_completeness, set_interval
from tests.timeseries_data import aggregate_model
from tests.timeseries_data.conftest import delete_data, post_json
from tests.timeseries_data.test_aggregate_properties import CHANGES, LONG, SPANS, TIMEZONES, WIDTHS, drawn

EXAMPLES = int(os.environ.get("BEMSERVER_ANALYSIS_EXAMPLES", "40"))
INTERVALS = st.one_of(st.none(), st.sampled_from(["600", "600.0", "0.5", "3600", "90.25", "1e3", "0", "-5"]))


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    value, unit = draw(st.sampled_from(WIDTHS))
    span = SPANS.get(unit, LONG)
    start = draw(st.sampled_from(CHANGES)) - timedelta(seconds=draw(st.integers(0, span)))
    end = start + timedelta(seconds=draw(st.integers(0, span)))
    offsets = st.integers(-span // 4, span + span // 4).map(lambda s: timedelta(seconds=s))
    moments = draw(st.lists(offsets, max_size=40, unique=True))
    return {
        "timezone": draw(st.sampled_from(TIMEZONES)),
        "value": value,
        "unit": unit,
        "start": start,
        "end": end,
        "points": [start + offset for offset in moments],
        "interval": draw(INTERVALS),
    }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def expected(case: dict[str, Any], name: str) -> tuple[list[str], dict[str, Any]]:
    """The completeness the definition gives, in plain Python."""
    edges = aggregate_model.bounds(case["start"], case["end"], case["timezone"], case["value"], case["unit"])
    pairs = list(itertools.pairwise(edges))
    counts = [sum(1 for moment in case["points"] if low <= moment < high) for low, high in pairs]
    seconds = [(high - low).total_seconds() for low, high in pairs]
    rates = [count / length for count, length in zip(counts, seconds, strict=True)]
    interval = None
    try:
        given = float(case["interval"]) if case["interval"] is not None else None
        interval = given if given is not None and math.isfinite(given) and given > 0 else None
    except ValueError:
        pass
    undefined = interval is None
    if undefined and any(rates):
        interval = 1 / max(rates)
    ratios = [rate * interval for rate in rates] if interval else [None] * len(counts)
    tz = ZoneInfo(case["timezone"])
    return [low.astimezone(tz).isoformat() for low, _ in pairs], {
        "name": name,
        "count": counts,
        "ratio": ratios,
        "total_count": sum(counts),
        "avg_count": _mean(counts),
        "avg_ratio": _mean(ratios) if interval else None,
        "interval": interval,
        "undefined_interval": undefined,
        "expected_count": [length / interval for length in seconds] if interval else [None] * len(counts),
    }


def close(found: Any, wanted: Any) -> bool:
    """Equal, floats within a few ulps (means are summed in another order)."""
    if isinstance(wanted, float) and isinstance(found, float | int):
        return math.isclose(found, wanted, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(wanted, list):
        return isinstance(found, list) and len(found) == len(wanted) and all(map(close, found, wanted))
    if isinstance(wanted, dict):
        return list(found) == list(wanted) and all(close(found[k], wanted[k]) for k in wanted)
    return found == wanted and type(found) is type(wanted)


async def test_completeness_matches_the_definition(client, world):
    # A fresh timeseries per interval value: the property is set once per timeseries.
    made: dict[str | None, int] = {}
    names: dict[int, str] = {}
    for number, case in enumerate(drawn(cases(), EXAMPLES)):
        interval = case["interval"]
        if interval not in made:
            response = await client.post(
                "/timeseries/",
                json={
                    "name": f"Random {number}",
                    "campaign_id": world.campaign,
                    "campaign_scope_id": world.scope1,
                },
                headers=world.admin.headers,
            )
            made[interval] = response.json()["id"]
            names[made[interval]] = f"Random {number}"
            if interval is not None:
                await set_interval(client, world.admin, made[interval], interval)
        series = made[interval]
        await delete_data(client, world.admin, [series], "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z")
        if case["points"]:
            body = {str(series): {moment.isoformat(): 1.0 for moment in case["points"]}}
            assert (await post_json(client, world.admin, body)).status_code == 201
        response = await get_completeness(
            client, world.admin, [series], case["start"].isoformat(), case["end"].isoformat(),
            case["value"], case["unit"], timezone=case["timezone"],
        )  # fmt: skip
        assert response.status_code == 200, response.text
        timestamps, document = expected(case, names[series])
        body = response.json()
        assert body["timestamps"] == timestamps, case
        assert close(body["timeseries"][str(series)], document), (case, body, document)
