"""Inputs found by a bug bash: each was a 500, or an answer the reference would not give."""

from __future__ import annotations

import pytest

from tests.timeseries_data.conftest import get_data, post_csv, post_json, stored

T0 = "2020-01-01T00:00:00+00:00"
HUGE = "9" * 5000  # int() refuses more than 4,300 digits


class TestNumbersTooLongForInt:
    async def test_a_huge_id_in_a_path_is_an_unknown_item(self, client, users):
        assert (await client.get(f"/users/{HUGE}")).status_code == 401
        response = await client.get(f"/users/{HUGE}", headers=users.admin.headers)
        assert response.status_code == 404
        response = await client.get(f"/users/{'0' * 5000}1", headers=users.admin.headers)
        assert response.status_code == 200

    async def test_a_huge_campaign_id_in_a_data_path(self, client, world):
        response = await get_data(client, world.admin, ["Temperature"], campaign=HUGE)  # type: ignore[arg-type]
        assert response.status_code == 404

    async def test_a_huge_timeseries_id_in_a_json_body(self, client, world):
        response = await post_json(client, world.admin, {HUGE: {T0: 1.0}})
        assert response.status_code == 422
        assert response.json()["message"].startswith("Unknown timeseries")

    async def test_a_huge_timeseries_id_in_a_csv_header(self, client, world):
        response = await post_csv(client, world.admin, f"Datetime,{HUGE}\n{T0},1\n")
        assert response.status_code == 422
        assert response.json()["message"].startswith("Unknown timeseries")


class TestConversionsOutOfRange:
    @pytest.mark.parametrize("unit", ["ppm**60", "ppm**99"])
    async def test_a_factor_beyond_floats_is_a_422(self, client, world, unit):
        await post_json(client, world.admin, {str(world.ts[0]): {T0: 1.0}})
        query = {"bucket_width_value": 1, "bucket_width_unit": "day", "aggregation": "count"}
        response = await client.get(
            "/timeseries_data/aggregate",
            params={
                "timeseries": [world.ts[0]],
                "start_time": T0,
                "end_time": "2020-01-02T00:00:00+00:00",
                "data_state": 1,
                "convert_to": [unit],
                **query,
            },
            headers=world.admin.headers,
        )
        assert response.status_code == 422
        assert "out of the float range" in response.json()["message"]

    async def test_a_nul_in_a_unit_is_an_undefined_unit(self, client, world):
        response = await get_data(client, world.admin, [world.ts[1]], convert_to=["W\x00"])
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["convert_to"] == {"0": ["Undefined unit."]}


class TestValuesAndTimestampsRefused:
    @pytest.mark.parametrize("value", [5e-324, -2.2250738585072e-308])
    async def test_subnormal_values(self, client, world, engine, value):
        response = await post_json(client, world.admin, {str(world.ts[0]): {T0: value}})
        assert response.status_code == 422
        assert response.json()["message"].startswith("Invalid values")
        response = await post_csv(client, world.admin, f"Datetime,{world.ts[0]}\n{T0},{value!r}\n")
        assert response.status_code == 422
        assert await stored(engine, world.ts[0]) == {}

    async def test_the_smallest_normal_value_and_zero_are_stored(self, client, world, engine):
        body = {str(world.ts[0]): {T0: 2.2250738585072014e-308, "2020-01-01T01:00:00+00:00": -0.0}}
        assert (await post_json(client, world.admin, body)).status_code == 201
        assert len(await stored(engine, world.ts[0])) == 2

    @pytest.mark.parametrize("junk", ["\x00", ".", " ", "x"])
    async def test_a_character_before_the_zone(self, client, world, engine, junk):
        stamp = f"2020-01-01T00:00:00{junk}Z"
        response = await post_json(client, world.admin, {str(world.ts[0]): {stamp: 1.0}})
        assert response.status_code == 422
        assert response.json()["message"].startswith("Invalid timestamp")
        assert await stored(engine, world.ts[0]) == {}

    @pytest.mark.parametrize("number", ["1577836800", "-1", "1.5e9"])
    async def test_unix_times_in_queries(self, client, world, number):
        response = await get_data(client, world.admin, [world.ts[0]], start=number)
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["start_time"] == ["Not a valid datetime."]
