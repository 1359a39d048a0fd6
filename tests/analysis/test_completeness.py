"""GET /analysis/completeness: the reference's examples, its defects fixed, errors and ETags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.analysis.conftest import get_completeness, set_interval
from tests.timeseries_data.conftest import post_json

FIELDS = [
    "name",
    "count",
    "ratio",
    "total_count",
    "avg_count",
    "avg_ratio",
    "interval",
    "undefined_interval",
    "expected_count",
]


def ten_minute_points(start: datetime, end: datetime) -> dict[str, float]:
    points, moment = {}, start
    while moment < end:
        points[moment.isoformat()] = 1.0
        moment += timedelta(minutes=10)
    return points


@pytest.fixture
async def january_february(client, world):
    """ts1: 10-minute points over January and February 2020 (UTC)."""
    points = ten_minute_points(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 3, 1, tzinfo=UTC))
    assert (await post_json(client, world.admin, {str(world.ts[0]): points})).status_code == 201
    return world


class TestReferenceExamples:
    @pytest.mark.parametrize("interval", [None, "600", "600.0"])
    async def test_ten_minute_data_in_monthly_buckets(self, client, january_february, interval):
        world = january_february
        if interval is not None:
            await set_interval(client, world.admin, world.ts[0], interval)
        response = await get_completeness(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00+00:00",
            "2020-03-01T00:00:00+00:00",
            1,
            "month",
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["timestamps"] == ["2020-01-01T00:00:00+00:00", "2020-02-01T00:00:00+00:00"]
        document = body["timeseries"][str(world.ts[0])]
        assert list(document) == FIELDS
        assert document == {
            "name": "Temperature",
            "count": [4464, 4176],
            "ratio": [1.0, 1.0],
            "total_count": 8640,
            "avg_count": 4320.0,
            "avg_ratio": 1.0,
            "interval": 600.0,
            "undefined_interval": interval is None,
            "expected_count": [4464.0, 4176.0],
        }

    async def test_hourly_points_without_interval(self, client, world):
        points = {f"2020-01-01T{hour:02}:00:00+00:00": float(hour) for hour in range(4)}
        await post_json(client, world.admin, {str(world.ts[0]): points})
        response = await get_completeness(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00+00:00",
            "2020-01-01T04:00:00+00:00",
            1,
            "hour",
        )
        assert response.json() == {
            "timestamps": [f"2020-01-01T{hour:02}:00:00+00:00" for hour in range(4)],
            "timeseries": {
                str(world.ts[0]): {
                    "name": "Temperature",
                    "count": [1, 1, 1, 1],
                    "ratio": [1.0, 1.0, 1.0, 1.0],
                    "total_count": 4,
                    "avg_count": 1.0,
                    "avg_ratio": 1.0,
                    "interval": 3600.0,
                    "undefined_interval": True,
                    "expected_count": [1.0, 1.0, 1.0, 1.0],
                }
            },
        }


class TestFixedDefects:
    async def test_a_fractional_interval_works(self, client, world):
        """The reference parses Interval with int(): "0.5" fails there."""
        await set_interval(client, world.admin, world.ts[0], "0.5")
        points = {"2020-01-01T00:00:00+00:00": 1.0, "2020-01-01T00:00:00.500000+00:00": 2.0}
        await post_json(client, world.admin, {str(world.ts[0]): points})
        response = await get_completeness(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00+00:00",
            "2020-01-01T00:00:02+00:00",
            1,
            "second",
        )
        document = response.json()["timeseries"][str(world.ts[0])]
        assert document["interval"] == 0.5
        assert document["undefined_interval"] is False
        assert document["expected_count"] == [2.0, 2.0]
        assert document["ratio"] == [1.0, 0.0]
        assert document["avg_ratio"] == 0.5

    async def test_an_empty_period_is_null_never_nan(self, client, world):
        moment = "2020-01-01T00:00:00+00:00"
        response = await get_completeness(client, world.admin, [world.ts[0]], moment, moment, 1, "day")
        assert response.status_code == 200
        assert b"NaN" not in response.content
        assert response.json() == {
            "timestamps": [],
            "timeseries": {
                str(world.ts[0]): {
                    "name": "Temperature",
                    "count": [],
                    "ratio": [],
                    "total_count": 0,
                    "avg_count": None,
                    "avg_ratio": None,
                    "interval": None,
                    "undefined_interval": True,
                    "expected_count": [],
                }
            },
        }

    async def test_no_data_without_interval_gives_nulls(self, client, world):
        response = await get_completeness(
            client,
            world.admin,
            [world.ts[1]],
            "2020-01-01T00:00:00+00:00",
            "2020-01-03T00:00:00+00:00",
            1,
            "day",
        )
        document = response.json()["timeseries"][str(world.ts[1])]
        assert document["count"] == [0, 0]
        assert document["ratio"] == [None, None]
        assert document["expected_count"] == [None, None]
        assert (document["interval"], document["avg_ratio"], document["avg_count"]) == (None, None, 0.0)

    async def test_no_data_with_interval_gives_zero_ratios(self, client, world):
        await set_interval(client, world.admin, world.ts[1], "3600")
        response = await get_completeness(
            client,
            world.admin,
            [world.ts[1]],
            "2020-01-01T00:00:00+00:00",
            "2020-01-03T00:00:00+00:00",
            1,
            "day",
        )
        document = response.json()["timeseries"][str(world.ts[1])]
        assert document["ratio"] == [0.0, 0.0]
        assert document["expected_count"] == [24.0, 24.0]
        assert document["interval"] == 3600.0


async def test_dst_days_expect_23_or_25_hours(client, world):
    await set_interval(client, world.admin, world.ts[0], "3600")
    response = await get_completeness(
        client, world.admin, [world.ts[0]], "2020-03-29T00:00:00+01:00", "2020-03-30T00:00:00+02:00", 1, "day",
        timezone="Europe/Paris",
    )  # fmt: skip
    body = response.json()
    assert body["timestamps"] == ["2020-03-29T00:00:00+01:00"]
    assert body["timeseries"][str(world.ts[0])]["expected_count"] == [23.0]
    fall = await get_completeness(
        client, world.admin, [world.ts[0]], "2020-10-25T00:00:00+02:00", "2020-10-26T00:00:00+01:00", 1, "day",
        timezone="Europe/Paris",
    )  # fmt: skip
    assert fall.json()["timeseries"][str(world.ts[0])]["expected_count"] == [25.0]


async def test_timeseries_in_request_order_keyed_by_id(client, world):
    ids = [world.ts[2], world.ts[0], world.ts[2]]
    response = await get_completeness(
        client, world.admin, ids, "2020-01-01T00:00:00+00:00", "2020-01-02T00:00:00+00:00", 1, "day"
    )
    assert list(response.json()["timeseries"]) == [str(world.ts[2]), str(world.ts[0])]


class TestErrors:
    async def test_unknown_timeseries(self, client, world):
        response = await get_completeness(
            client,
            world.admin,
            [world.ts[0], 999999],
            "2020-01-01T00:00:00Z",
            "2020-01-02T00:00:00Z",
            1,
            "day",
        )
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: [999999]"

    async def test_unknown_data_state(self, client, world):
        response = await get_completeness(
            client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", 1, "day",
            data_state=99,
        )  # fmt: skip
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}

    async def test_unreadable_timeseries(self, client, world):
        # The user may read scope 1 only; ts4 is in scope 2.
        response = await get_completeness(
            client, world.user, [world.ts[3]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", 1, "day"
        )
        assert response.status_code == 403
        readable = await get_completeness(
            client, world.user, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", 1, "day"
        )
        assert readable.status_code == 200

    @pytest.mark.parametrize(
        "params",
        [
            {"bucket_width_value": 2, "bucket_width_unit": "day"},
            {"bucket_width_value": 0},
            {"bucket_width_unit": "fortnight"},
            {"timezone": "Mars/Olympus"},
            {"start_time": "2020-01-01T00:00:00"},
            {"timeseries": "1,2"},
        ],
    )
    async def test_bad_arguments_get_422(self, client, world, params):
        query = {
            "timeseries": [world.ts[0]],
            "start_time": "2020-01-01T00:00:00Z",
            "end_time": "2020-01-02T00:00:00Z",
            "bucket_width_value": 1,
            "bucket_width_unit": "day",
            "data_state": 1,
            **params,
        }
        response = await client.get("/analysis/completeness", params=query, headers=world.admin.headers)
        assert response.status_code == 422, response.text

    async def test_anonymous_gets_401(self, client, world):
        response = await client.get("/analysis/completeness")
        assert response.status_code == 401


async def test_etag_and_304(client, january_february):
    world = january_february
    args = [client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-03-01T00:00:00Z", 1, "month"]
    first = await get_completeness(*args)
    etag = first.headers["ETag"]
    again = await client.get(
        "/analysis/completeness",
        params=first.request.url.params,
        headers=world.admin.headers | {"If-None-Match": etag},
    )
    assert again.status_code == 304
    await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:05:00+00:00": 1.0}})
    changed = await get_completeness(*args)
    assert changed.headers["ETag"] != etag
    assert changed.json()["timeseries"][str(world.ts[0])]["count"] == [4465, 4176]
