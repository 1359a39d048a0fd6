"""GET /timeseries_data/stats and /timeseries_data/campaign/{id}/stats."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st

from tests.timeseries_data import aggregate_model
from tests.timeseries_data.aggregate_helpers import get_stats
from tests.timeseries_data.conftest import CLEAN, NAMES, delete_data, post_json
from tests.timeseries_data.test_aggregate_properties import drawn

EXAMPLES = int(os.environ.get("BEMSERVER_STATS_EXAMPLES", "25"))
POINTS = {
    "2020-01-01T00:00:00Z": 0.0,
    "2020-01-01T01:00:00Z": 1.0,
    "2020-01-02T00:00:00Z": 2.0,
    "2020-03-01T00:00:00Z": 3.0,
}


@pytest.fixture
async def points(client, world):
    assert (await post_json(client, world.admin, {str(world.ts[0]): POINTS})).status_code == 201
    return world


class TestStats:
    async def test_stats_of_each_timeseries_over_all_its_data(self, client, points):
        response = await get_stats(client, points.admin, [points.ts[0]])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.text == (
            f'{{"stats":{{"{points.ts[0]}":{{"first_timestamp":"2020-01-01T00:00:00+00:00",'
            '"last_timestamp":"2020-03-01T00:00:00+00:00","count":4,"min":0.0,"max":3.0,'
            '"avg":1.5,"stddev":1.2909944487358056}}}'
        )

    async def test_timestamps_follow_the_timezone(self, client, points):
        stats = (await get_stats(client, points.admin, [points.ts[0]], timezone="Europe/Paris")).json()
        item = stats["stats"][str(points.ts[0])]
        assert (item["first_timestamp"], item["last_timestamp"]) == (
            "2020-01-01T01:00:00+01:00",
            "2020-03-01T01:00:00+01:00",
        )

    async def test_every_timeseries_is_listed_in_request_order_even_without_data(self, client, points):
        stats = (await get_stats(client, points.admin, [points.ts[2], points.ts[0]])).json()["stats"]
        assert list(stats) == [str(points.ts[2]), str(points.ts[0])]
        assert stats[str(points.ts[2])] == {
            "first_timestamp": None,
            "last_timestamp": None,
            "count": 0,
            "min": None,
            "max": None,
            "avg": None,
            "stddev": None,
        }

    async def test_one_value_has_no_sample_deviation(self, client, world):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00Z": 4.5}})
        item = (await get_stats(client, world.admin, [world.ts[0]])).json()["stats"][str(world.ts[0])]
        assert (item["count"], item["avg"], item["stddev"]) == (1, 4.5, None)

    async def test_by_name_the_keys_are_names(self, client, points):
        response = await get_stats(client, points.admin, [NAMES[0], NAMES[1]], campaign=points.campaign)
        assert response.status_code == 200
        stats = response.json()["stats"]
        assert list(stats) == NAMES[:2]
        assert stats[NAMES[0]]["count"] == 4

    async def test_data_states_are_separate(self, client, points):
        await post_json(
            client, points.admin, {str(points.ts[0]): {"2021-01-01T00:00:00Z": 9.0}}, data_state=CLEAN
        )
        stats = (await get_stats(client, points.admin, [points.ts[0]], data_state=CLEAN)).json()["stats"]
        assert stats[str(points.ts[0])]["count"] == 1

    async def test_stats_follow_deletes(self, client, points):
        await delete_data(
            client, points.admin, [points.ts[0]], "2020-01-02T00:00:00Z", "2021-01-01T00:00:00Z"
        )
        item = (await get_stats(client, points.admin, [points.ts[0]])).json()["stats"][str(points.ts[0])]
        assert (item["count"], item["max"], item["last_timestamp"]) == (2, 1.0, "2020-01-01T01:00:00+00:00")

    async def test_values_that_are_not_whole_millionths_are_exact_too(self, client, world):
        values = [1 / 3, 2 / 3, 1e-9, 0.1]
        body = {str(world.ts[0]): {f"2020-01-0{i + 1}T00:00:00Z": v for i, v in enumerate(values)}}
        await post_json(client, world.admin, body)
        item = (await get_stats(client, world.admin, [world.ts[0]])).json()["stats"][str(world.ts[0])]
        expected = aggregate_model.stats(values)
        assert item["avg"] == expected["avg"]
        assert math.isclose(item["stddev"], expected["stddev"], rel_tol=1e-14)

    async def test_huge_values_give_finite_averages_not_errors(self, client, world):
        body = {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.7e308, "2020-01-02T00:00:00Z": 1.7e308}}
        await post_json(client, world.admin, body)
        response = await get_stats(client, world.admin, [world.ts[0]])
        assert response.status_code == 200
        item = response.json()["stats"][str(world.ts[0])]
        assert (item["avg"], item["stddev"]) == (1.7e308, 0.0)


class TestStatsErrors:
    async def test_an_unknown_timeseries_is_422(self, client, world):
        response = await get_stats(client, world.admin, [999])
        assert response.status_code == 422

    async def test_an_unknown_data_state_is_422(self, client, world):
        response = await get_stats(client, world.admin, [world.ts[0]], data_state=99)
        assert response.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}

    async def test_a_timeseries_out_of_the_users_scopes_is_403(self, client, world):
        assert (await get_stats(client, world.user, [world.ts[3]])).status_code == 403

    async def test_an_unknown_campaign_is_404(self, client, world):
        assert (await get_stats(client, world.admin, [NAMES[0]], campaign=999)).status_code == 404

    async def test_a_campaign_of_others_is_403(self, client, world):
        response = await get_stats(client, world.user, ["Temperature"], campaign=world.other_campaign)
        assert response.status_code == 403

    async def test_a_bad_timezone_is_422(self, client, world):
        response = await get_stats(client, world.admin, [world.ts[0]], timezone="Nowhere")
        assert response.status_code == 422


VALUES = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.floats(-1e5, 1e5).map(lambda v: round(v, 4)),
    st.floats(-1e9, 1e9, allow_nan=False, allow_subnormal=False),
    st.sampled_from([1e6 + 0.5, 1e6 + 0.25, 2.2250738585072014e-308, 1e300]),
)


async def test_stats_match_the_model(client, world):
    series = world.ts[0]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for values in drawn(st.lists(VALUES, max_size=80), EXAMPLES):
        await delete_data(client, world.admin, [series], "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z")
        moments = [start + timedelta(minutes=97 * i) for i in range(len(values))]
        body = {str(series): {m.isoformat(): v for m, v in zip(moments, values, strict=True)}}
        await post_json(client, world.admin, body)
        item = (await get_stats(client, world.admin, [series])).json()["stats"][str(series)]
        expected = aggregate_model.stats(values)
        assert {k: item[k] for k in ("count", "min", "max", "avg")} == {
            k: expected[k] for k in ("count", "min", "max", "avg")
        }, values
        if expected["stddev"] is None:
            assert item["stddev"] is None
        else:
            assert math.isclose(item["stddev"], expected["stddev"], rel_tol=1e-9, abs_tol=1e-300), values
        if values:
            assert item["first_timestamp"] == moments[0].isoformat()
            assert item["last_timestamp"] == moments[-1].isoformat()
