"""GET /timeseries_data/ and /timeseries_data/campaign/{id}/: raw points as JSON or CSV."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.timeseries_data.conftest import CLEAN, NAMES, get_data, post_json

START = datetime(2020, 1, 1, tzinfo=UTC)
T0, T1, T2 = "2020-01-01T00:00:00+00:00", "2020-01-01T01:00:00+00:00", "2020-01-01T02:00:00+00:00"


@pytest.fixture
async def points(client, world):
    """ts1: T0=1.0, T1=2.5; ts2: T1=10.0, T2=0.0; ts3: none; ts4 (scope 2): T0=-3.0."""
    body = {
        str(world.ts[0]): {T0: 1.0, T1: 2.5},
        str(world.ts[1]): {T1: 10.0, T2: 0.0},
        str(world.ts[3]): {T0: -3.0},
    }
    assert (await post_json(client, world.admin, body)).status_code == 201
    return world


class TestGetJson:
    async def test_points_by_timeseries_in_request_order(self, client, points):
        response = await get_data(client, points.admin, [points.ts[1], points.ts[0]])
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.text == (
            f'{{"{points.ts[1]}":{{"{T1}":10.0,"{T2}":0.0}},"{points.ts[0]}":{{"{T0}":1.0,"{T1}":2.5}}}}'
        )

    async def test_a_timeseries_without_points_is_left_out(self, client, points):
        response = await get_data(client, points.admin, [points.ts[2], points.ts[0]])
        assert list(response.json()) == [str(points.ts[0])]

    async def test_nothing_is_an_empty_object(self, client, points):
        response = await get_data(client, points.admin, [points.ts[2]])
        assert response.json() == {}

    async def test_the_interval_is_start_included_end_excluded(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0], points.ts[1]], T1, T2)
        assert response.json() == {str(points.ts[0]): {T1: 2.5}, str(points.ts[1]): {T1: 10.0}}

    @pytest.mark.parametrize("end", [T0, "2019-12-31T00:00:00+00:00"])
    async def test_start_not_before_end_is_empty(self, client, points, end):
        response = await get_data(client, points.admin, [points.ts[0]], T0, end)
        assert response.status_code == 200
        assert response.json() == {}

    async def test_timestamps_in_the_requested_timezone(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0]], timezone="Europe/Paris")
        assert response.json() == {
            str(points.ts[0]): {"2020-01-01T01:00:00+01:00": 1.0, "2020-01-01T02:00:00+01:00": 2.5}
        }

    async def test_half_hour_offsets_and_microseconds(self, client, world):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-06-01T00:00:00.5+00:00": 1.0}})
        response = await get_data(client, world.admin, [world.ts[0]], timezone="Asia/Kolkata")
        assert response.json() == {str(world.ts[0]): {"2020-06-01T05:30:00.500000+05:30": 1.0}}

    async def test_local_mean_time_offsets_have_seconds(self, client, world):
        await post_json(client, world.admin, {str(world.ts[0]): {"1900-01-01T00:00:00+00:00": 1.0}})
        response = await get_data(
            client, world.admin, [world.ts[0]], "1899-01-01T00:00:00Z", timezone="Europe/Paris"
        )
        assert response.json() == {str(world.ts[0]): {"1900-01-01T00:09:21+00:09:21": 1.0}}

    async def test_floats_are_rendered_as_python_does(self, client, world):
        values = [
            2.1666666666666665,
            1e16,
            1e-05,
            123456789012345.6,
            -0.0,
            3.0,
            2.2250738585072014e-308,
            -1e-300,
            1.7976931348623157e308,
        ]
        body = {str(world.ts[0]): {f"2020-01-01T00:00:{i:02d}Z": v for i, v in enumerate(values)}}
        await post_json(client, world.admin, body)
        text = (await get_data(client, world.admin, [world.ts[0]])).text
        for value in values:
            assert f":{value!r}" in text

    async def test_duplicate_timeseries_are_answered_once(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0], points.ts[0]])
        assert list(response.json()) == [str(points.ts[0])]

    async def test_data_states_are_separate(self, client, points):
        await post_json(client, points.admin, {str(points.ts[0]): {T2: 7.0}}, data_state=CLEAN)
        response = await get_data(client, points.admin, [points.ts[0]], data_state=CLEAN)
        assert response.json() == {str(points.ts[0]): {T2: 7.0}}

    async def test_large_answers_come_whole(self, client, world):
        stamps = [(START + timedelta(minutes=i)).isoformat() for i in range(45000)]
        await post_json(client, world.admin, {str(world.ts[0]): {t: float(i) for i, t in enumerate(stamps)}})
        data = (await get_data(client, world.admin, [world.ts[0]])).json()[str(world.ts[0])]
        assert list(data) == stamps
        assert data[stamps[-1]] == 44999.0


class TestGetCsv:
    async def test_union_of_timestamps_and_empty_cells(self, client, points):
        response = await get_data(
            client, points.admin, [points.ts[0], points.ts[1], points.ts[2]], accept="text/csv"
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        ids = ",".join(str(ts) for ts in points.ts[:3])
        assert response.text == (
            f"Datetime,{ids}\n"
            "2020-01-01T00:00:00+0000,1.0,,\n"
            "2020-01-01T01:00:00+0000,2.5,10.0,\n"
            "2020-01-01T02:00:00+0000,,0.0,\n"
        )

    async def test_no_points_is_the_header_only(self, client, points):
        response = await get_data(client, points.admin, [points.ts[2]], accept="text/csv")
        assert response.text == f"Datetime,{points.ts[2]}\n"

    async def test_start_not_before_end_is_the_header_only(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0]], T1, T0, accept="text/csv")
        assert response.text == f"Datetime,{points.ts[0]}\n"

    async def test_timezone_offset_without_colon_and_no_fraction(self, client, world):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00.5+00:00": 1.0}})
        response = await get_data(
            client, world.admin, [world.ts[0]], accept="text/csv", timezone="Europe/Paris"
        )
        assert response.text.splitlines()[1] == "2020-01-01T01:00:00+0100,1.0"

    async def test_names_are_quoted_when_needed(self, client, points):
        response = await get_data(
            client, points.admin, NAMES[:3], campaign=points.campaign, accept="text/csv"
        )
        assert response.text.splitlines()[0] == 'Datetime,Temperature,"Power, kW",001'

    async def test_many_rows_across_chunks(self, client, world):
        stamps = [(START + timedelta(minutes=i)).isoformat() for i in range(25000)]
        body = {
            str(world.ts[0]): {t: float(i) for i, t in enumerate(stamps)},
            str(world.ts[1]): {stamps[-1]: 1.0},
        }
        await post_json(client, world.admin, body)
        lines = (
            await get_data(client, world.admin, [world.ts[0], world.ts[1]], accept="text/csv")
        ).text.splitlines()
        assert len(lines) == 25001
        assert lines[-1] == "2020-01-18T08:39:00+0000,24999.0,1.0"


class TestNegotiation:
    @pytest.mark.parametrize(
        "accept", ["text/csv", "text/csv; charset=utf-8", "application/json;q=0.5, text/csv", "text/*"]
    )
    async def test_csv_when_preferred(self, client, points, accept):
        response = await get_data(client, points.admin, [points.ts[0]], accept=accept)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.text.startswith("Datetime,")

    @pytest.mark.parametrize("accept", ["*/*", "application/json", "text/html", "text/csv;q=0.1, */*"])
    async def test_json_otherwise_with_a_json_content_type(self, client, points, accept):
        response = await get_data(client, points.admin, [points.ts[0]], accept=accept)
        assert response.headers["content-type"] == "application/json"
        assert response.json()[str(points.ts[0])] == {T0: 1.0, T1: 2.5}

    async def test_no_accept_header_is_json(self, client, points):
        response = await client.get(
            "/timeseries_data/",
            params={"timeseries": points.ts[0], "start_time": T0, "end_time": T2, "data_state": 1},
            headers={**points.admin.headers, "Accept": ""},
        )
        assert response.headers["content-type"] == "application/json"


class TestConvertTo:
    async def test_values_are_converted_per_position(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0], points.ts[1]], convert_to=["°F", "W"])
        data = response.json()
        assert data[str(points.ts[0])] == pytest.approx({T0: 33.8, T1: 36.5})
        assert data[str(points.ts[1])] == {T1: 10000.0, T2: 0.0}

    async def test_empty_unit_means_no_conversion(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0], points.ts[1]], convert_to=["", "MW"])
        assert response.json() == {
            str(points.ts[0]): {T0: 1.0, T1: 2.5},
            str(points.ts[1]): {T1: 0.01, T2: 0.0},
        }

    async def test_conversion_in_csv(self, client, points):
        response = await get_data(client, points.admin, [points.ts[1]], convert_to=["W"], accept="text/csv")
        assert response.text.splitlines()[1:] == [
            "2020-01-01T01:00:00+0000,10000.0",
            "2020-01-01T02:00:00+0000,0.0",
        ]

    async def test_size_mismatch(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0], points.ts[1]], convert_to=["°F"])
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {"_schema": ["If provided, convert_to must be the same size as timeseries."]}
        }

    async def test_undefined_unit(self, client, points):
        response = await get_data(
            client, points.admin, [points.ts[0], points.ts[1]], convert_to=["", "dummy"]
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"convert_to": {"1": ["Undefined unit."]}}}

    async def test_incompatible_unit_gives_pints_message(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0]], convert_to=["m"])
        assert response.status_code == 422
        assert "Cannot convert from 'degree_Celsius'" in response.json()["message"]

    async def test_overflow_to_infinity_is_dropped(self, client, world):
        await post_json(client, world.admin, {str(world.ts[1]): {T0: 1e307, T1: 1.0}})
        response = await get_data(client, world.admin, [world.ts[1]], convert_to=["mW"])
        assert response.json() == {str(world.ts[1]): {T1: 1000000.0}}


class TestGetByName:
    async def test_labels_are_names(self, client, points):
        response = await get_data(
            client, points.admin, ["Power, kW", "Temperature"], campaign=points.campaign
        )
        assert response.json() == {"Power, kW": {T1: 10.0, T2: 0.0}, "Temperature": {T0: 1.0, T1: 2.5}}

    async def test_names_are_looked_up_in_the_campaign_only(self, client, points):
        response = await get_data(client, points.admin, ["Temperature"], campaign=points.other_campaign)
        assert response.json() == {}

    async def test_unknown_name(self, client, points):
        response = await get_data(client, points.admin, ["Nope", "Temperature"], campaign=points.campaign)
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: ['Nope']"

    async def test_a_name_with_a_nul_character_is_unknown(self, client, points):
        response = await get_data(client, points.admin, ["a\x00b"], campaign=points.campaign)
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: ['a\\x00b']"

    async def test_unknown_campaign_is_404(self, client, points):
        assert (await get_data(client, points.admin, ["Temperature"], campaign=999)).status_code == 404

    async def test_non_integer_campaign_is_404(self, client, points):
        response = await client.get("/timeseries_data/campaign/abc/", headers=points.admin.headers)
        assert response.status_code == 404

    async def test_non_member_is_403(self, client, points):
        response = await get_data(client, points.user, ["Temperature"], campaign=points.other_campaign)
        assert response.status_code == 403

    async def test_convert_to_by_name(self, client, points):
        response = await get_data(
            client, points.admin, ["Power, kW"], campaign=points.campaign, convert_to=["W"]
        )
        assert response.json() == {"Power, kW": {T1: 10000.0, T2: 0.0}}


class TestGetErrors:
    async def test_unknown_ids(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0], 69])
        assert response.status_code == 422
        assert response.json() == {
            "code": 422,
            "status": "Unprocessable Entity",
            "message": "Unknown timeseries: [69]",
        }

    async def test_unknown_data_state_after_timeseries(self, client, points):
        response = await get_data(client, points.admin, [points.ts[0]], data_state=42)
        assert response.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}
        response = await get_data(client, points.admin, [69], data_state=42)
        assert response.json()["message"] == "Unknown timeseries: [69]"

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"timeseries": "x"}, "timeseries"),
            ({"start_time": "2020-01-01T00:00:00"}, "start_time"),
            ({"end_time": "nope"}, "end_time"),
            ({"start_time": "1000-01-01T00:00:00Z"}, "start_time"),
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"data_state": "raw"}, "data_state"),
        ],
    )
    async def test_bad_arguments_are_422(self, client, points, params, field):
        query = {"timeseries": points.ts[0], "start_time": T0, "end_time": T2, "data_state": 1} | params
        response = await client.get("/timeseries_data/", params=query, headers=points.admin.headers)
        assert response.status_code == 422
        assert field in response.json()["errors"]["query"]

    async def test_required_arguments(self, client, points):
        response = await client.get("/timeseries_data/", headers=points.admin.headers)
        assert response.status_code == 422
        assert set(response.json()["errors"]["query"]) == {
            "timeseries",
            "start_time",
            "end_time",
            "data_state",
        }


class TestGetPermissions:
    async def test_member_of_the_scope_reads(self, client, points):
        response = await get_data(client, points.user, [points.ts[0]])
        assert response.json() == {str(points.ts[0]): {T0: 1.0, T1: 2.5}}

    async def test_one_timeseries_outside_ones_scopes_is_403(self, client, points):
        response = await get_data(client, points.user, [points.ts[0], points.ts[3]])
        assert response.status_code == 403

    async def test_by_name_outside_ones_scopes_is_403(self, client, points):
        response = await get_data(client, points.user, [NAMES[3]], campaign=points.campaign)
        assert response.status_code == 403

    async def test_anonymous_is_401(self, client, points):
        response = await client.get(
            "/timeseries_data/", params={"timeseries": 1, "start_time": T0, "end_time": T2, "data_state": 1}
        )
        assert response.status_code == 401
