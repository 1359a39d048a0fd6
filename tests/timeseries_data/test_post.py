"""POST /timeseries_data/ and /timeseries_data/campaign/{id}/: JSON and CSV bodies."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.timeseries_data.conftest import CLEAN, NAMES, RAW, post_csv, post_json, stored

T0 = "2020-01-01T00:00:00+00:00"
T1 = "2020-01-01T01:00:00+00:00"


def _many(count: int, start: datetime = datetime(2020, 1, 1, tzinfo=UTC)) -> list[str]:
    return [(start + timedelta(minutes=10 * i)).isoformat() for i in range(count)]


class TestPostJson:
    async def test_points_are_stored_and_the_answer_is_201_null(self, client, world, engine):
        response = await post_json(client, world.admin, {str(world.ts[0]): {T0: 1.5, T1: 2}})
        assert response.status_code == 201
        assert response.json() is None
        assert await stored(engine, world.ts[0]) == {T0: 1.5, T1: 2.0}

    async def test_offsets_are_converted_to_utc(self, client, world, engine):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T01:00:00+01:00": 1.0}})
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T01:00:00Z": 2.0}})
        assert await stored(engine, world.ts[0]) == {T0: 1.0, T1: 2.0}

    async def test_microseconds_are_kept(self, client, world, engine):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00.123456+00:00": 1.0}})
        assert list(await stored(engine, world.ts[0])) == ["2020-01-01T00:00:00.123456+00:00"]

    async def test_nulls_are_skipped(self, client, world, engine):
        response = await post_json(client, world.admin, {str(world.ts[0]): {T0: None, T1: 1.0}})
        assert response.status_code == 201
        assert await stored(engine, world.ts[0]) == {T1: 1.0}

    async def test_numeric_strings_and_booleans_are_numbers(self, client, world, engine):
        await post_json(client, world.admin, {str(world.ts[0]): {T0: "3", T1: True}})
        assert await stored(engine, world.ts[0]) == {T0: 3.0, T1: 1.0}

    async def test_several_timeseries_in_one_body(self, client, world, engine):
        body = {str(world.ts[0]): {T0: 1.0}, str(world.ts[1]): {T0: 2.0, T1: 3.0}}
        assert (await post_json(client, world.admin, body)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}
        assert await stored(engine, world.ts[1]) == {T0: 2.0, T1: 3.0}

    async def test_data_states_are_separate_series(self, client, world, engine):
        await post_json(client, world.admin, {str(world.ts[0]): {T0: 1.0}})
        await post_json(client, world.admin, {str(world.ts[0]): {T0: 2.0}}, data_state=CLEAN)
        assert await stored(engine, world.ts[0], RAW) == {T0: 1.0}
        assert await stored(engine, world.ts[0], CLEAN) == {T0: 2.0}

    async def test_an_empty_body_object_writes_nothing(self, client, world):
        assert (await post_json(client, world.admin, {})).status_code == 201

    @pytest.mark.parametrize("count", [999, 1000, 1001, 20000])
    async def test_small_and_bulk_paths_store_everything(self, client, world, engine, count):
        stamps = _many(count)
        body = {str(world.ts[0]): {t: float(i) for i, t in enumerate(stamps)}}
        assert (await post_json(client, world.admin, body)).status_code == 201
        points = await stored(engine, world.ts[0])
        assert len(points) == count
        assert points[stamps[-1]] == float(count - 1)


class TestPostCsv:
    async def test_points_are_stored(self, client, world, engine):
        body = f"Datetime,{world.ts[0]},{world.ts[1]}\n{T0},1.0,2\n{T1},,3.5\n"
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 201
        assert response.json() is None
        assert await stored(engine, world.ts[0]) == {T0: 1.0}
        assert await stored(engine, world.ts[1]) == {T0: 2.0, T1: 3.5}

    @pytest.mark.parametrize(
        "content_type", ["text/csv; charset=utf-8", "TEXT/CSV", "text/csv;header=present"]
    )
    async def test_csv_media_type_parameters_are_accepted(self, client, world, engine, content_type):
        body = f"Datetime,{world.ts[0]}\n{T0},1\n"
        assert (await post_csv(client, world.admin, body, content_type=content_type)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_offset_forms_and_crlf_lines(self, client, world, engine):
        body = f"Datetime,{world.ts[0]}\r\n2020-01-01T01:00:00+0100,1\r\n2020-01-01T01:00:00Z,2\r\n"
        assert (await post_csv(client, world.admin, body)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0, T1: 2.0}

    async def test_blank_lines_and_short_rows_are_fine(self, client, world, engine):
        body = f"Datetime,{world.ts[0]},{world.ts[1]}\n\n{T0},1\n{T1}\n"
        assert (await post_csv(client, world.admin, body)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}
        assert await stored(engine, world.ts[1]) == {}

    async def test_a_header_only_file_writes_nothing(self, client, world):
        assert (await post_csv(client, world.admin, f"Datetime,{world.ts[0]}\n")).status_code == 201

    async def test_a_utf8_bom_is_ignored(self, client, world, engine):
        body = "\ufeff" + f"Datetime,{world.ts[0]}\n{T0},1\n"
        assert (await post_csv(client, world.admin, body)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_bulk_csv_is_stored(self, client, world, engine):
        stamps = _many(6000)
        body = f"Datetime,{world.ts[0]},{world.ts[1]}\n" + "".join(
            f"{t},{i},{-i}\n" for i, t in enumerate(stamps)
        )
        assert (await post_csv(client, world.admin, body)).status_code == 201
        assert len(await stored(engine, world.ts[0])) == 6000
        assert (await stored(engine, world.ts[1]))[stamps[5999]] == -5999.0


class TestPostByName:
    async def test_json_labels_are_names_within_the_campaign(self, client, world, engine):
        body = {name: {T0: float(i)} for i, name in enumerate(NAMES)}
        response = await post_json(client, world.admin, body, campaign=world.campaign)
        assert response.status_code == 201
        for i, ts in enumerate(world.ts):
            assert await stored(engine, ts) == {T0: float(i)}
        assert await stored(engine, world.other_ts) == {}

    async def test_a_name_made_of_digits_is_a_name(self, client, world, engine):
        response = await post_json(client, world.admin, {"001": {T0: 1.0}}, campaign=world.campaign)
        assert response.status_code == 201
        assert await stored(engine, world.ts[2]) == {T0: 1.0}

    async def test_csv_names_with_commas_quotes_and_accents(self, client, world, engine):
        body = 'Datetime,"Power, kW","Énergie ""totale""",001\n' + f"{T0},1,2,3\n"
        assert (await post_csv(client, world.admin, body, campaign=world.campaign)).status_code == 201
        assert await stored(engine, world.ts[1]) == {T0: 1.0}
        assert await stored(engine, world.ts[3]) == {T0: 2.0}
        assert await stored(engine, world.ts[2]) == {T0: 3.0}

    async def test_a_name_of_another_campaign_is_unknown(self, client, world):
        response = await post_json(
            client, world.admin, {"Temperature": {T0: 1.0}, "Nope": {}}, campaign=world.campaign
        )
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: ['Nope']"

    async def test_unknown_campaign_is_404(self, client, world):
        response = await post_json(client, world.admin, {"Temperature": {T0: 1.0}}, campaign=999)
        assert response.status_code == 404

    async def test_non_member_of_the_campaign_is_403(self, client, world):
        response = await post_json(
            client, world.user, {"Temperature": {T0: 1.0}}, campaign=world.other_campaign
        )
        assert response.status_code == 403


class TestInsertOrIgnore:
    async def test_stored_values_win_by_default(self, client, world, engine):
        await post_json(client, world.admin, {str(world.ts[0]): {T0: 1.0}})
        response = await post_json(client, world.admin, {str(world.ts[0]): {T0: 999.0, T1: 2.0}})
        assert response.status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0, T1: 2.0}

    async def test_stored_values_win_in_bulk_writes_too(self, client, world, engine):
        stamps = _many(3000)
        await post_json(client, world.admin, {str(world.ts[0]): {stamps[2999]: -1.0}})
        body = {str(world.ts[0]): {t: float(i) for i, t in enumerate(stamps)}}
        assert (await post_json(client, world.admin, body)).status_code == 201
        points = await stored(engine, world.ts[0])
        assert len(points) == 3000
        assert points[stamps[2999]] == -1.0
        assert points[stamps[0]] == 0.0

    async def test_within_one_request_the_first_value_wins(self, client, world, engine):
        body = {str(world.ts[0]): {T0: 1.0, "2020-01-01T01:00:00+01:00": 2.0}}
        await post_json(client, world.admin, body)
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_within_one_bulk_csv_the_first_value_wins(self, client, world, engine):
        stamps = _many(1500)
        body = (
            f"Datetime,{world.ts[0]}\n"
            + "".join(f"{t},{i}\n" for i, t in enumerate(stamps))
            + f"{stamps[0]},-5\n"
        )
        assert (await post_csv(client, world.admin, body)).status_code == 201
        points = await stored(engine, world.ts[0])
        assert len(points) == 1500
        assert points[stamps[0]] == 0.0


class TestOverwrite:
    async def test_overwrite_replaces_stored_values(self, client, world, engine):
        await post_json(client, world.admin, {str(world.ts[0]): {T0: 1.0}})
        response = await post_json(
            client, world.admin, {str(world.ts[0]): {T0: 9.0, T1: 2.0}}, overwrite="true"
        )
        assert response.status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 9.0, T1: 2.0}

    async def test_overwrite_in_bulk_csv(self, client, world, engine):
        stamps = _many(2500)
        first = f"Datetime,{world.ts[0]}\n" + "".join(f"{t},{i}\n" for i, t in enumerate(stamps))
        await post_csv(client, world.admin, first)
        second = f"Datetime,{world.ts[0]}\n" + "".join(f"{t},{-i}\n" for i, t in enumerate(stamps[1000:]))
        assert (await post_csv(client, world.admin, second, overwrite="True")).status_code == 201
        points = await stored(engine, world.ts[0])
        assert points[stamps[999]] == 999.0
        assert points[stamps[1000]] == 0.0
        assert points[stamps[2499]] == -1499.0

    async def test_within_one_overwriting_request_the_last_value_wins(self, client, world, engine):
        body = {str(world.ts[0]): {T0: 1.0, "2020-01-01T01:00:00+01:00": 2.0}}
        await post_json(client, world.admin, body, overwrite="true")
        assert await stored(engine, world.ts[0]) == {T0: 2.0}

    async def test_overwrite_must_be_a_boolean(self, client, world):
        response = await post_json(client, world.admin, {}, overwrite="maybe")
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["overwrite"] == ["Not a valid boolean."]


class TestAtomicity:
    async def test_a_bad_point_anywhere_writes_nothing(self, client, world, engine):
        body = {str(world.ts[0]): {T0: 1.0}, str(world.ts[1]): {T0: 1.0, T1: "abc"}}
        response = await post_json(client, world.admin, body)
        assert response.status_code == 422
        assert await stored(engine, world.ts[0]) == {}
        assert await stored(engine, world.ts[1]) == {}

    async def test_a_bad_timestamp_at_the_end_of_a_bulk_csv_writes_nothing(self, client, world, engine):
        stamps = _many(20000)
        body = (
            f"Datetime,{world.ts[0]}\n"
            + "".join(f"{t},{i}\n" for i, t in enumerate(stamps))
            + "2021-13-01T00:00:00Z,1\n"
        )
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 422
        assert response.json()["message"].startswith("Invalid timestamp")
        assert await stored(engine, world.ts[0]) == {}

    async def test_a_bad_value_after_a_clash_writes_nothing(self, client, world, engine):
        stamps = _many(3000)
        await post_json(client, world.admin, {str(world.ts[0]): {stamps[0]: 5.0}})
        body = {str(world.ts[0]): {t: float(i) for i, t in enumerate(stamps)} | {"2030-01-01T00:00:00Z": "x"}}
        assert (await post_json(client, world.admin, body)).status_code == 422
        assert await stored(engine, world.ts[0]) == {stamps[0]: 5.0}


class TestJsonErrors:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"{not json", "Wrong JSON file"),
            (b"", "Wrong JSON file"),
            (b"[1, 2]", "Wrong JSON file"),
            (b'{"1": [1, 2]}', "Wrong JSON file"),
            (b'{"1": 3}', "Wrong JSON file"),
            (b'{"1": {"2020-01-01T00:00:00Z": NaN}}', "Wrong JSON file"),
            (b'{"": {"2020-01-01T00:00:00Z": 1}}', "Wrong timeseries ID"),
            (b'{"abc": {"2020-01-01T00:00:00Z": 1}}', "Wrong timeseries ID type"),
            (b'{"1.5": {"2020-01-01T00:00:00Z": 1}}', "Wrong timeseries ID type"),
        ],
    )
    async def test_body_shape_errors(self, client, world, body, message):
        body = body.replace(b'"1"', f'"{world.ts[0]}"'.encode())
        response = await post_json(client, world.admin, body)
        assert response.status_code == 422
        assert response.json()["message"].startswith(message)
        assert response.json()["code"] == 422

    @pytest.mark.parametrize(
        ("timestamp", "message"),
        [
            ("2020-01-01T00:00:00", "Invalid or TZ-naive timestamp"),
            ("2020-01-01", "Invalid or TZ-naive timestamp"),
            ("1577836800", "Invalid timestamp"),
            ("yesterday", "Invalid timestamp"),
            ("2020-02-30T00:00:00Z", "Invalid timestamp"),
            ("1500-01-01T00:00:00Z", "Invalid timestamp"),
            ("2260-01-01T00:00:00Z", "Invalid timestamp"),
            ("0001-01-01T00:00:00+01:00", "Invalid timestamp"),
            ("9999-12-31T23:59:59-01:00", "Invalid timestamp"),
        ],
    )
    async def test_timestamp_errors_name_the_timestamp(self, client, world, engine, timestamp, message):
        body = {str(world.ts[0]): {T0: 1.0, timestamp: 2.0}}
        response = await post_json(client, world.admin, body)
        assert response.status_code == 422
        assert response.json()["message"].startswith(f"{message}: '{timestamp}'")
        assert await stored(engine, world.ts[0]) == {}

    @pytest.mark.parametrize("value", ["abc", "", "NaN", "inf", "-Infinity", [1], {"a": 1}, "1e400"])
    async def test_value_errors_name_the_value_and_where(self, client, world, value):
        response = await post_json(client, world.admin, {str(world.ts[0]): {T0: value}})
        assert response.status_code == 422
        message = response.json()["message"]
        assert message.startswith("Invalid values: ")
        assert f"for timeseries '{world.ts[0]}' at '{T0}'" in message

    async def test_unknown_ids_are_listed(self, client, world):
        body = {str(world.ts[0]): {T0: 1.0}, "69": {T0: 1.0}, "70": {}}
        response = await post_json(client, world.admin, body)
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: [69, 70]"

    async def test_an_id_beyond_int32_is_unknown(self, client, world):
        response = await post_json(client, world.admin, {"99999999999": {T0: 1.0}})
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: [99999999999]"

    async def test_unknown_data_state(self, client, world):
        response = await post_json(client, world.admin, {str(world.ts[0]): {T0: 1.0}}, data_state=99)
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}

    @pytest.mark.parametrize("data_state", ["x", "", "99999999999999"])
    async def test_bad_data_state_argument(self, client, world, data_state):
        response = await post_json(client, world.admin, {}, data_state=data_state)
        assert response.status_code == 422

    async def test_missing_data_state(self, client, world):
        response = await client.post("/timeseries_data/", content=b"{}", headers=world.admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["data_state"] == ["Missing data for required field."]


class TestCsvErrors:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"", "Empty file"),
            (b"  \n\n", "Empty file"),
            (b"\nDatetime,1\n", "Missing headers"),
            (b"Datetime,1,\n", "Empty timeseries name or trailing comma"),
            (b"Datetime,,1\n", "Empty timeseries name or trailing comma"),
            (b"Date,1\n2020-01-01T00:00:00Z,1\n", "Invalid file"),
            (b"datetime,1\n", "Invalid file"),
            (b"Datetime,1\n2020-01-01T00:00:00Z,1,2\n", "Bad CSV file"),
            (b'Datetime,1\n2020-01-01T00:00:00Z,"1\n', "Bad CSV file"),
            (b'Datetime,1\n2020-01-01T00:00:00Z,1"2"\n', "Invalid values"),
            (b"Datetime,1\n2020-01-01T00:00:00Z,abc\n", "Invalid values"),
            (b"Datetime,1\n2020-01-01T00:00:00Z,nan\n", "Invalid values"),
            (b"Datetime,1\n2020-01-01T00:00:00,1\n", "Invalid or TZ-naive timestamp"),
            (b"Datetime,1\n,1\n", "Invalid timestamp"),
            (b"Datetime,1\nnot a date,1\n", "Invalid timestamp"),
            (b"Datetime,1\n\xff\xfe,1\n", "Invalid timestamp"),  # read as Windows-1252: 'ÿþ'
            (b"Datetime,1\n\x81,1\n", "Invalid file"),  # 0x81: neither UTF-8 nor Windows-1252
            ("Datetime,1\n\xe9t\xe9,1\n".encode() + b"\xe9,1\n", "Invalid file"),  # mixed encodings
        ],
    )
    async def test_csv_errors(self, client, world, engine, body, message):
        body = (
            body.replace(b",1\n", f",{world.ts[0]}\n".encode(), 1)
            if body.startswith(b"Datetime,1\n")
            else body
        )
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 422, response.text
        assert response.json()["message"].startswith(message)
        assert await stored(engine, world.ts[0]) == {}

    async def test_value_error_names_line_and_column(self, client, world):
        body = f"Datetime,{world.ts[0]},{world.ts[1]}\n{T0},1,2\n{T1},3,x\n"
        response = await post_csv(client, world.admin, body)
        assert response.json()["message"] == f"Invalid values: 'x' at line 3, column '{world.ts[1]}'"

    async def test_non_integer_header_by_id(self, client, world):
        response = await post_csv(client, world.admin, f"Datetime,{world.ts[0]},Temperature\n")
        assert response.status_code == 422
        assert response.json()["message"] == "Wrong timeseries ID type: 'Temperature'"

    async def test_unknown_name_in_csv_header(self, client, world):
        response = await post_csv(client, world.admin, "Datetime,Temperature,Nope\n", campaign=world.campaign)
        assert response.json()["message"] == "Unknown timeseries: ['Nope']"


class TestPostPermissions:
    async def test_member_of_the_scope_may_write(self, client, world, engine):
        response = await post_json(client, world.user, {str(world.ts[0]): {T0: 1.0}})
        assert response.status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_one_timeseries_outside_ones_scopes_forbids_the_whole_request(self, client, world, engine):
        body = {str(world.ts[0]): {T0: 1.0}, str(world.ts[3]): {T0: 1.0}}
        response = await post_json(client, world.user, body)
        assert response.status_code == 403
        assert await stored(engine, world.ts[0]) == {}

    async def test_by_name_outside_ones_scopes_is_403(self, client, world):
        response = await post_json(client, world.user, {NAMES[3]: {T0: 1.0}}, campaign=world.campaign)
        assert response.status_code == 403

    async def test_unknown_timeseries_comes_before_permission(self, client, world):
        response = await post_json(client, world.user, {str(world.ts[3]): {T0: 1.0}, "69": {}})
        assert response.status_code == 422

    @pytest.mark.parametrize("count", [1, 1001])  # the small write checks in its own statement
    async def test_checks_come_in_order_whatever_else_is_wrong(self, client, world, engine, count):
        """Unknown timeseries, permission, data state, then points: for small and large writes."""
        bad = {t: "x" for t in _many(count)}  # "Invalid values" at every instant
        forbidden, allowed = str(world.ts[3]), str(world.ts[0])
        unknown = await post_json(client, world.user, {forbidden: bad, "69": {T0: 1.0}}, data_state=99)
        assert unknown.json()["message"] == "Unknown timeseries: [69]"
        denied = await post_json(client, world.user, {allowed: {T0: 1.0}, forbidden: bad}, data_state=99)
        assert denied.status_code == 403
        for state in (99, 2**31):
            unknown_state = await post_json(client, world.user, {allowed: bad}, data_state=state)
            assert unknown_state.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}
        for campaign in (None, world.campaign):
            label = allowed if campaign is None else NAMES[0]
            invalid = await post_json(client, world.user, {label: bad}, campaign=campaign)
            assert invalid.json()["message"].startswith("Invalid values")
        assert await stored(engine, world.ts[0]) == {}
        async with engine.connect() as connection:  # no series created for the refused requests
            assert (
                await connection.execute(text("SELECT count(*) FROM timeseries_by_data_states"))
            ).scalar() == 0

    async def test_anonymous_is_401(self, client, world):
        response = await client.post("/timeseries_data/", params={"data_state": RAW}, content=b"{}")
        assert response.status_code == 401

    async def test_inactive_user_is_403(self, client, world, inactive):
        response = await post_json(client, inactive, {str(world.ts[0]): {T0: 1.0}})
        assert response.status_code == 403
