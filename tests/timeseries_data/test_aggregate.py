"""GET /timeseries_data/aggregate and /timeseries_data/campaign/{id}/aggregate."""

import pytest

from tests.timeseries_data.aggregate_helpers import get_aggregate
from tests.timeseries_data.conftest import CLEAN, NAMES, delete_data, post_json

DAY0, DAY3 = "2020-03-28T00:00:00+01:00", "2020-03-31T00:00:00+02:00"
# Three points on the Paris spring-forward day (the reference's own example): mean 13/6
SPRING = {
    "2020-03-29T00:00:00+01:00": 1.0,
    "2020-03-29T01:30:00+01:00": 2.0,
    "2020-03-29T03:30:00+02:00": 3.5,
}


@pytest.fixture
async def spring(client, world):
    assert (await post_json(client, world.admin, {str(world.ts[0]): SPRING})).status_code == 201
    return world


async def hourly(client, world, points, start, end, value=1, unit="hour", aggregation=None, **params):
    body = {str(world.ts[0]): points}
    assert (await post_json(client, world.admin, body)).status_code == 201
    response = await get_aggregate(
        client, world.admin, [world.ts[0]], start, end, value, unit, aggregation, **params
    )
    assert response.status_code == 200, response.text
    return response.json()[str(world.ts[0])]


class TestAggregateJson:
    async def test_daily_average_over_the_march_change_in_paris(self, client, spring):
        response = await get_aggregate(
            client, spring.admin, [spring.ts[0]], DAY0, DAY3, 1, "day", timezone="Europe/Paris"
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.text == (
            f'{{"{spring.ts[0]}":{{"2020-03-28T00:00:00+01:00":null,'
            '"2020-03-29T00:00:00+01:00":2.1666666666666665,"2020-03-30T00:00:00+02:00":null}}'
        )

    async def test_every_requested_timeseries_has_every_bucket_in_request_order(self, client, spring):
        ids = [spring.ts[2], spring.ts[0]]
        response = await get_aggregate(
            client, spring.admin, ids, DAY0, DAY3, 1, "day", timezone="Europe/Paris"
        )
        body = response.json()
        assert list(body) == [str(spring.ts[2]), str(spring.ts[0])]
        assert list(body[str(spring.ts[2])].values()) == [None, None, None]

    async def test_empty_count_buckets_are_integer_zeros(self, client, spring):
        response = await get_aggregate(
            client, spring.admin, [spring.ts[0]], DAY0, DAY3, 1, "day", "count", timezone="Europe/Paris"
        )
        assert response.text == (
            f'{{"{spring.ts[0]}":{{"2020-03-28T00:00:00+01:00":0,'
            '"2020-03-29T00:00:00+01:00":3,"2020-03-30T00:00:00+02:00":0}}'
        )

    async def test_hourly_labels_skip_the_hour_clocks_skip(self, client, spring):
        response = await get_aggregate(
            client,
            spring.admin,
            [spring.ts[0]],
            "2020-03-29T00:00:00+01:00",
            "2020-03-29T04:00:00+02:00",
            aggregation="count",
            timezone="Europe/Paris",
        )
        assert response.json()[str(spring.ts[0])] == {
            "2020-03-29T00:00:00+01:00": 1,
            "2020-03-29T01:00:00+01:00": 1,
            "2020-03-29T03:00:00+02:00": 1,
        }

    async def test_hourly_buckets_on_fall_back_hold_both_two_oclocks(self, client, world):
        points = {"2020-10-25T02:30:00+02:00": 1.0, "2020-10-25T02:30:00+01:00": 5.0}
        got = await hourly(
            client,
            world,
            points,
            "2020-10-25T02:00:00+02:00",
            "2020-10-25T03:00:00+01:00",
            timezone="Europe/Paris",
        )
        assert got == {"2020-10-25T02:00:00+02:00": 1.0, "2020-10-25T02:00:00+01:00": 5.0}

    async def test_two_hour_buckets_across_spring_forward(self, client, world):
        points = {"2020-03-29T01:00:00+01:00": 1.0, "2020-03-29T03:00:00+02:00": 2.0}
        got = await hourly(
            client,
            world,
            points,
            "2020-03-29T00:00:00+01:00",
            "2020-03-29T05:00:00+02:00",
            2,
            "hour",
            "sum",
            timezone="Europe/Paris",
        )
        assert got == {"2020-03-29T00:00:00+01:00": 1.0, "2020-03-29T03:00:00+02:00": 2.0}

    @pytest.mark.parametrize("value,unit", [(2, "hour"), (120, "minute"), (7200, "second")])
    async def test_a_wide_average_is_the_average_of_its_points(self, client, world, value, unit):
        # The reference averages the 1-unit averages: 4.5 for 2 hours, 3.0 for 120 minutes
        points = {"2020-01-01T00:00:00Z": 0.0, "2020-01-01T00:30:00Z": 0.0, "2020-01-01T01:00:00Z": 9.0}
        got = await hourly(client, world, points, "2020-01-01T00:00:00Z", "2020-01-01T02:00:00Z", value, unit)
        assert got == {"2020-01-01T00:00:00+00:00": 3.0}

    async def test_five_hour_buckets_hold_their_points(self, client, world):
        # The reference returns only empty buckets there
        points = {"2020-01-01T00:00:00Z": 1.0, "2020-01-01T03:00:00Z": 2.0, "2020-01-01T06:00:00Z": 4.0}
        got = await hourly(
            client, world, points, "2020-01-01T00:00:00Z", "2020-01-01T07:00:00Z", 5, "hour", "count"
        )
        assert got == {"2019-12-31T21:00:00+00:00": 1, "2020-01-01T02:00:00+00:00": 2}

    async def test_sums_are_exact(self, client, world):
        points = {"2020-01-01T00:00:00Z": 0.1, "2020-01-01T00:10:00Z": 0.2, "2020-01-01T00:20:00Z": 1e-7}
        got = await hourly(
            client, world, points, "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z", aggregation="sum"
        )
        assert got == {"2020-01-01T00:00:00+00:00": 0.3000001}

    @pytest.mark.parametrize("unit", ["hour", "day", "minute"])
    async def test_an_exact_sum_just_above_the_largest_double_rounds_to_it(self, client, world, unit):
        # 1e308 - 1e308 + 1.7976931348623157e308 + 0.5: above the decimal 1.7976931348623157e308,
        # below the largest double plus half its last unit
        points = {
            "2020-01-01T00:00:00Z": 1e308,
            "2020-01-01T00:00:10Z": -1e308,
            "2020-01-01T00:00:20Z": 1.7976931348623157e308,
            "2020-01-01T00:00:30Z": 0.5,
        }
        got = await hourly(
            client, world, points, "2020-01-01T00:00:00Z", "2020-01-01T00:01:00Z", 1, unit, "sum"
        )
        assert list(got.values()) == [1.7976931348623157e308]

    async def test_the_sum_of_an_empty_bucket_is_null(self, client, world):
        points = {"2020-01-01T00:00:00Z": 2.0}
        got = await hourly(
            client, world, points, "2020-01-01T00:00:00Z", "2020-01-01T02:00:00Z", aggregation="sum"
        )
        assert got == {"2020-01-01T00:00:00+00:00": 2.0, "2020-01-01T01:00:00+00:00": None}

    @pytest.mark.parametrize(
        "aggregation,expected", [("min", -2.5), ("max", 7.0), ("avg", 2.25), ("sum", 4.5)]
    )
    async def test_each_aggregation(self, client, world, aggregation, expected):
        points = {"2020-01-01T00:00:00Z": 7.0, "2020-01-01T00:10:00Z": -2.5}
        got = await hourly(
            client, world, points, "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z", aggregation=aggregation
        )
        assert got == {"2020-01-01T00:00:00+00:00": expected}

    async def test_data_before_the_start_is_in_the_widened_first_bucket(self, client, world):
        points = {"2020-01-01T00:10:00Z": 1.0, "2020-01-01T00:50:00Z": 3.0}
        got = await hourly(client, world, points, "2020-01-01T00:40:00Z", "2020-01-01T01:00:00Z")
        assert got == {"2020-01-01T00:00:00+00:00": 2.0}

    async def test_an_end_before_the_start_gives_no_bucket(self, client, spring):
        response = await get_aggregate(client, spring.admin, [spring.ts[0]], DAY3, DAY0, 1, "day")
        assert response.json() == {str(spring.ts[0]): {}}

    async def test_by_name_the_labels_are_names(self, client, spring):
        response = await get_aggregate(
            client,
            spring.admin,
            [NAMES[0], NAMES[1]],
            DAY0,
            DAY3,
            1,
            "day",
            "count",
            campaign=spring.campaign,
            timezone="Europe/Paris",
        )
        assert response.status_code == 200
        body = response.json()
        assert list(body) == NAMES[:2]
        assert list(body[NAMES[0]].values()) == [0, 3, 0]

    async def test_duplicate_timeseries_are_answered_once(self, client, spring):
        response = await get_aggregate(
            client, spring.admin, [spring.ts[0], spring.ts[0]], DAY0, DAY3, 1, "day"
        )
        assert list(response.json()) == [str(spring.ts[0])]

    async def test_data_states_are_separate(self, client, spring):
        body = {str(spring.ts[0]): {"2020-03-29T12:00:00+02:00": 10.0}}
        await post_json(client, spring.admin, body, data_state=CLEAN)
        response = await get_aggregate(
            client, spring.admin, [spring.ts[0]], DAY0, DAY3, 1, "day", "count", data_state=CLEAN
        )
        assert sum(response.json()[str(spring.ts[0])].values()) == 1

    async def test_local_mean_time_offsets_are_read_from_the_points(self, client, world):
        points = {"1900-01-01T00:30:00+00:00": 1.0, "1900-01-01T12:00:00+00:00": 3.0}
        got = await hourly(
            client,
            world,
            points,
            "1900-01-01T00:00:00+00:00",
            "1900-01-01T12:00:00+00:00",
            1,
            "day",
            timezone="Europe/Paris",
        )
        assert got == {"1900-01-01T00:00:00+00:09:21": 2.0}


class TestAggregateCsv:
    async def test_one_line_per_bucket_empty_cells_for_empty_buckets(self, client, spring):
        response = await get_aggregate(
            client,
            spring.admin,
            [spring.ts[0], spring.ts[1]],
            DAY0,
            DAY3,
            1,
            "day",
            accept="text/csv",
            timezone="Europe/Paris",
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.text == (
            f"Datetime,{spring.ts[0]},{spring.ts[1]}\n"
            "2020-03-28T00:00:00+0100,,\n"
            "2020-03-29T00:00:00+0100,2.1666666666666665,\n"
            "2020-03-30T00:00:00+0200,,\n"
        )

    async def test_counts_are_integers_and_names_are_quoted(self, client, spring):
        response = await get_aggregate(
            client,
            spring.admin,
            [NAMES[0], NAMES[1]],
            DAY0,
            DAY3,
            1,
            "day",
            "count",
            campaign=spring.campaign,
            accept="text/csv",
            timezone="Europe/Paris",
        )
        assert response.text.splitlines() == [
            'Datetime,Temperature,"Power, kW"',
            "2020-03-28T00:00:00+0100,0,0",
            "2020-03-29T00:00:00+0100,3,0",
            "2020-03-30T00:00:00+0200,0,0",
        ]

    async def test_no_bucket_is_the_header_only(self, client, spring):
        response = await get_aggregate(
            client, spring.admin, [spring.ts[0]], DAY3, DAY0, 1, "day", accept="text/csv"
        )
        assert response.text == f"Datetime,{spring.ts[0]}\n"


class TestConversion:
    async def test_values_are_converted_per_position(self, client, world):
        body = {
            str(world.ts[0]): {"2020-01-01T00:00:00Z": 20.0},
            str(world.ts[1]): {"2020-01-01T00:00:00Z": 1.5},
        }
        await post_json(client, world.admin, body)
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0], world.ts[1]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T01:00:00Z",
            convert_to=["", "W"],
        )
        assert response.json() == {
            str(world.ts[0]): {"2020-01-01T00:00:00+00:00": 20.0},
            str(world.ts[1]): {"2020-01-01T00:00:00+00:00": 1500.0},
        }

    async def test_offset_units_convert_the_aggregate(self, client, world):
        body = {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.0, "2020-01-01T00:30:00Z": 3.0}}
        await post_json(client, world.admin, body)
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T01:00:00Z",
            convert_to=["K"],
        )
        assert response.json()[str(world.ts[0])] == {"2020-01-01T00:00:00+00:00": 275.15}

    async def test_a_count_converts_only_to_dimensionless_units(self, client, world):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.0}})
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T02:00:00Z",
            aggregation="count",
            convert_to=["mm"],
        )
        assert response.status_code == 422
        assert "dimensionless" in response.json()["message"]

    async def test_a_count_in_percent(self, client, world):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.0}})
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T02:00:00Z",
            aggregation="count",
            convert_to=["percent"],
        )
        assert response.json()[str(world.ts[0])] == {
            "2020-01-01T00:00:00+00:00": 100.0,
            "2020-01-01T01:00:00+00:00": 0.0,
        }

    async def test_an_incompatible_unit_is_422_not_500(self, client, world):
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T01:00:00Z",
            convert_to=["kW"],
        )
        assert response.status_code == 422
        assert "Cannot convert" in response.json()["message"]

    async def test_an_unknown_unit_is_422(self, client, world):
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T01:00:00Z",
            convert_to=["dummy"],
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"convert_to": {"0": ["Undefined unit."]}}}

    async def test_convert_to_must_match_timeseries_in_size(self, client, world):
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[0], world.ts[1]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T01:00:00Z",
            convert_to=["K"],
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {"_schema": ["If provided, convert_to must be the same size as timeseries."]}
        }

    async def test_a_conversion_leaving_the_float_range_is_null(self, client, world):
        await post_json(client, world.admin, {str(world.ts[1]): {"2020-01-01T00:00:00Z": 1e306}})
        response = await get_aggregate(
            client,
            world.admin,
            [world.ts[1]],
            "2020-01-01T00:00:00Z",
            "2020-01-01T01:00:00Z",
            convert_to=["mW"],
        )
        assert response.status_code == 200
        assert response.json() == {str(world.ts[1]): {"2020-01-01T00:00:00+00:00": None}}


class TestErrors:
    async def test_a_calendar_unit_with_a_multiplier_is_422(self, client, world):
        response = await get_aggregate(
            client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-03-01T00:00:00Z", 2, "day"
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {
                "bucket_width_value": [
                    "Only fixed bucket width units (second, minute, hour) accept a value different than 1."
                ]
            }
        }

    @pytest.mark.parametrize(
        "params,field",
        [
            ({"bucket_width_value": 0}, "bucket_width_value"),
            ({"bucket_width_value": "x"}, "bucket_width_value"),
            ({"bucket_width_unit": "fortnight"}, "bucket_width_unit"),
            ({"aggregation": "median"}, "aggregation"),
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"start_time": "2020-01-01T00:00:00"}, "start_time"),
        ],
    )
    async def test_bad_query_arguments_are_422(self, client, world, params, field):
        response = await get_aggregate(
            client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", **params
        )
        assert response.status_code == 422
        assert field in response.json()["errors"]["query"]

    async def test_a_bucket_width_beyond_centuries_is_422(self, client, world):
        response = await get_aggregate(
            client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", 10**30, "hour"
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"bucket_width_value": ["Bucket width too large."]}}

    async def test_too_many_buckets_are_422(self, client, world):
        response = await get_aggregate(
            client, world.admin, [world.ts[0]], "1700-01-01T00:00:00Z", "2200-01-01T00:00:00Z", 1, "second"
        )
        assert response.status_code == 422
        assert "Too many buckets" in response.json()["message"]

    async def test_an_unknown_timeseries_is_422(self, client, world):
        response = await get_aggregate(
            client, world.admin, [999], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"
        )
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: [999]"

    async def test_an_unknown_data_state_is_422(self, client, world):
        response = await get_aggregate(
            client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", data_state=99
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}

    async def test_a_timeseries_out_of_the_users_scopes_is_403(self, client, world):
        response = await get_aggregate(
            client, world.user, [world.ts[3]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"
        )
        assert response.status_code == 403

    async def test_a_member_reads_the_timeseries_of_their_scopes(self, client, world):
        response = await get_aggregate(
            client, world.user, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"
        )
        assert response.status_code == 200

    async def test_an_unknown_campaign_is_404(self, client, world):
        response = await get_aggregate(
            client, world.admin, [NAMES[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", campaign=999
        )
        assert response.status_code == 404

    async def test_a_campaign_of_others_is_403(self, client, world):
        response = await get_aggregate(
            client,
            world.user,
            ["Temperature"],
            "2020-01-01T00:00:00Z",
            "2020-01-02T00:00:00Z",
            campaign=world.other_campaign,
        )
        assert response.status_code == 403

    async def test_an_anonymous_request_is_401(self, client, world):
        response = await client.get(
            "/timeseries_data/aggregate",
            params={"timeseries": [world.ts[0]], "start_time": "2020-01-01T00:00:00Z"},
        )
        assert response.status_code == 401


class TestFreshness:
    async def test_a_read_sees_the_writes_before_it(self, client, world):
        start, end = "2020-01-01T00:00:00Z", "2020-01-01T02:00:00Z"
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:10:00Z": 1.0}})
        first = await get_aggregate(client, world.admin, [world.ts[0]], start, end, aggregation="sum")
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:20:00Z": 2.0}})
        await post_json(
            client, world.admin, {str(world.ts[0]): {"2020-01-01T00:10:00Z": 5.0}}, overwrite="true"
        )
        second = await get_aggregate(client, world.admin, [world.ts[0]], start, end, aggregation="sum")
        await delete_data(client, world.admin, [world.ts[0]], "2020-01-01T00:15:00Z", end)
        third = await get_aggregate(client, world.admin, [world.ts[0]], start, end, aggregation="sum")
        assert [list(r.json()[str(world.ts[0])].values()) for r in (first, second, third)] == [
            [1.0, None],
            [7.0, None],
            [5.0, None],
        ]

    async def test_deleting_a_timeseries_drops_its_rollups(self, client, world, engine):
        from sqlalchemy import text

        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:10:00Z": 1.0}})
        await get_aggregate(
            client, world.admin, [world.ts[0]], "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"
        )
        async with engine.begin() as c:
            await c.execute(text("DELETE FROM timeseries WHERE id = :id"), {"id": world.ts[0]})
        async with engine.connect() as c:
            left = await c.scalar(
                text(
                    "SELECT (SELECT count(*) FROM timeseries_data_quarters) + (SELECT count(*) FROM timeseries_data_hours)"
                    " + (SELECT count(*) FROM timeseries_data_days) + (SELECT count(*) FROM timeseries_data_dirty)"
                )
            )
        assert left == 0


class TestChunks:
    @pytest.mark.parametrize("accept", [None, "text/csv"])
    @pytest.mark.parametrize("aggregation", ["avg", "count"])
    async def test_an_answer_in_many_chunks_is_the_same_answer(self, client, world, accept, aggregation):
        from unittest import mock

        from bemserver.timeseries_data import aggregate

        points = {f"2020-01-01T{h:02d}:{m:02d}:00Z": h + m / 100 for h in range(0, 24, 3) for m in (0, 20)}
        await post_json(
            client, world.admin, {str(world.ts[0]): points, str(world.ts[1]): {"2020-01-01T05:00:00Z": 1.0}}
        )
        ids = [world.ts[0], world.ts[2], world.ts[1]]
        args = (
            client,
            world.admin,
            ids,
            "2020-01-01T00:00:00Z",
            "2020-01-02T00:00:00Z",
            1,
            "hour",
            aggregation,
        )
        whole = await get_aggregate(*args, accept=accept)
        with mock.patch.object(aggregate, "CHUNK_VALUES", 7):
            chunked = await get_aggregate(*args, accept=accept)
        assert chunked.status_code == 200
        assert chunked.text == whole.text
        assert len(whole.text.splitlines() if accept else whole.json()[str(world.ts[0])]) >= 24
