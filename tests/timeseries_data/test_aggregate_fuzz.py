"""Bounded fuzz of the aggregate and stats query arguments, on stored data (huge values included):
whatever the arguments, the answer is a 200 or a 4xx, never a 5xx."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import strategies as st

from tests.timeseries_data.conftest import NAMES, post_json
from tests.timeseries_data.test_aggregate_properties import drawn

EXAMPLES = int(os.environ.get("BEMSERVER_FUZZ_EXAMPLES", "25")) * 8

JUNK = st.sampled_from(
    ["", "x", "\x00", "é", "1e999", "NaN", "-1", "2147483648", "99999999999999999999", "[]"]
)
MOMENTS = st.one_of(
    st.sampled_from(
        [
            "1680-01-01T00:00:00+00:00",
            "2260-01-01T00:00:00+00:00",
            "1679-12-31T23:59:59+00:00",
            "2020-03-29T02:30:00+02:00",
            "2020-10-25T02:30:00+01:00",
            "2020-01-01T00:00:00Z",
            "2020-01-01T00:00:00",
            "2020-01-01",
            "1900-01-01T00:00:00+00:09",
            "2020-06-01T00:00:00.999999+05:45",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    JUNK,
)
ARGUMENTS = {
    "start_time": MOMENTS,
    "end_time": MOMENTS,
    "bucket_width_value": st.one_of(st.integers(-2, 100), st.sampled_from([2**31, 10**10, 10**40]), JUNK),
    "bucket_width_unit": st.one_of(
        st.sampled_from(["second", "minute", "hour", "day", "week", "month", "year"]), JUNK
    ),
    "aggregation": st.one_of(st.sampled_from(["avg", "sum", "min", "max", "count"]), JUNK),
    "timezone": st.one_of(
        st.sampled_from(
            ["UTC", "Europe/Paris", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Kiritimati"]
        ),
        JUNK,
    ),
    "data_state": st.one_of(st.sampled_from([1, 2, 3, 0, -1, 2**31, 2**63]), JUNK),
    "convert_to": st.lists(
        st.one_of(
            st.sampled_from(["", "W", "kW", "K", "degF", "count", "percent", "mm", "m**2", "1/0"]), JUNK
        ),
        max_size=3,
    ),
}


@st.composite
def requests(draw: Any, ids: list[Any], names: list[Any]) -> dict[str, Any]:
    by_name = draw(st.booleans())
    params = {name: draw(strategy) for name, strategy in ARGUMENTS.items() if draw(st.integers(0, 5))}
    params["timeseries"] = draw(st.lists(st.sampled_from(names if by_name else ids), min_size=0, max_size=3))
    return {
        "route": draw(st.sampled_from(["aggregate", "stats"])),
        "campaign": draw(st.sampled_from([1, 2, 999, 2**31])) if by_name else None,
        "params": params,
        "accept": draw(st.sampled_from([None, "text/csv", "application/json", "*/*"])),
    }


async def test_no_query_gives_a_server_error(client, world):
    values = {
        "2020-01-01T00:00:00Z": 1.7e308,
        "2020-01-01T00:10:00Z": 1.7e308,
        "2020-01-01T00:20:00Z": -2.2250738585072014e-308,
    }
    values |= {f"2020-03-29T0{h}:00:00Z": h / 3 for h in range(6)}
    body = {str(world.ts[0]): values, str(world.ts[1]): {"2020-03-29T01:00:00Z": 1e15}}
    assert (await post_json(client, world.admin, body)).status_code == 201
    ids = [*world.ts, 999, 0, -1, 2**31, "x"]
    names = [*NAMES, "Nope", "", "\x00"]
    for case in drawn(requests(ids, names), EXAMPLES):
        base = (
            "/timeseries_data/"
            if case["campaign"] is None
            else f"/timeseries_data/campaign/{case['campaign']}/"
        )
        headers = dict(world.admin.headers)
        if case["accept"]:
            headers["Accept"] = case["accept"]
        response = await client.get(base + case["route"], params=case["params"], headers=headers)
        assert response.status_code < 500, (case, response.text)
