"""CSV answers in a dialect (separator, decimal mark, spreadsheet timestamps), and round trips:
export in a dialect, import it back, same points."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from tests.timeseries_data.conftest import get_data, post_csv, post_json, stored
from tests.timeseries_data.test_roundtrip import HYPOTHESIS, _new_timeseries

T0 = "2020-01-01T00:00:00+00:00"
CSV = "text/csv"


async def _two_points(client, world):
    body = {str(world.ts[0]): {T0: 1.5, "2020-01-01T00:00:00.25+00:00": -2.0}, str(world.ts[1]): {T0: 3.0}}
    assert (await post_json(client, world.admin, body)).status_code == 201


class TestRawExport:
    async def test_default_unchanged(self, client, world):
        await _two_points(client, world)
        response = await get_data(client, world.admin, [world.ts[0], world.ts[1]], accept=CSV)
        assert response.text == (
            f"Datetime,{world.ts[0]},{world.ts[1]}\n"
            "2020-01-01T00:00:00+0000,1.5,3.0\n2020-01-01T00:00:00+0000,-2.0,\n"
        )

    async def test_semicolon_decimal_comma_spreadsheet_times(self, client, world):
        await _two_points(client, world)
        response = await get_data(
            client,
            world.admin,
            ["Temperature", "Power, kW"],
            campaign=world.campaign,
            accept=CSV,
            timezone="Europe/Paris",
            separator="semicolon",
            decimal="comma",
            time_format="spreadsheet",
        )
        assert response.status_code == 200, response.text
        assert response.text == (
            "Datetime;Temperature;Power, kW\n2020-01-01 01:00:00;1,5;3,0\n2020-01-01 01:00:00.250000;-2,0;\n"
        )

    async def test_tab(self, client, world):
        await _two_points(client, world)
        response = await get_data(client, world.admin, [world.ts[1]], accept=CSV, separator="tab")
        assert response.text == f"Datetime\t{world.ts[1]}\n2020-01-01T00:00:00+0000\t3.0\n"

    async def test_a_decimal_comma_needs_another_separator(self, client, world):
        response = await get_data(client, world.admin, [world.ts[1]], accept=CSV, decimal="comma")
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {"decimal": ["A decimal comma needs separator=semicolon or separator=tab."]}
        }

    async def test_a_name_holding_the_separator_is_quoted(self, client, world):
        response = await get_data(
            client, world.admin, ["Power, kW"], campaign=world.campaign, accept=CSV, separator="semicolon"
        )
        assert response.text == "Datetime;Power, kW\n"
        response = await get_data(client, world.admin, ["Power, kW"], campaign=world.campaign, accept=CSV)
        assert response.text == 'Datetime,"Power, kW"\n'


class TestAggregateExport:
    async def test_semicolon_decimal_comma_spreadsheet_times(self, client, world):
        await _two_points(client, world)
        response = await client.get(
            "/timeseries_data/aggregate",
            params={
                "timeseries": [world.ts[0]],
                "data_state": 1,
                "start_time": T0,
                "end_time": "2020-01-01T02:00:00+00:00",
                "bucket_width_value": 1,
                "bucket_width_unit": "hour",
                "timezone": "Europe/Paris",
                "separator": "semicolon",
                "decimal": "comma",
                "time_format": "spreadsheet",
            },
            headers={**world.admin.headers, "Accept": CSV},
        )
        assert response.status_code == 200, response.text
        assert response.text == f"Datetime;{world.ts[0]}\n2020-01-01 01:00:00;-0,25\n2020-01-01 02:00:00;\n"


_zones = ["UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Kathmandu"]


class TestDialectRoundTrip:
    @HYPOTHESIS
    @given(
        separator=st.sampled_from(["comma", "semicolon", "tab"]),
        decimal=st.sampled_from(["point", "comma"]),
        time_format=st.sampled_from(["iso", "spreadsheet"]),
        zone_name=st.sampled_from(_zones),
        points=st.dictionaries(
            st.datetimes(
                min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
            ),
            st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False),
            min_size=1,
            max_size=30,
        ),
    )
    async def test_export_then_import_gives_the_same_points(
        self, client, admin, engine, separator, decimal, time_format, zone_name, points
    ):
        assume(not (separator == "comma" and decimal == "comma"))
        zone = ZoneInfo(zone_name)
        if time_format == "iso":  # the reference's CSV form has whole seconds
            points = {moment.replace(microsecond=0): value for moment, value in points.items()}
        if time_format == "spreadsheet":  # local times repeated when DST ends are ambiguous
            local = [moment.astimezone(zone).replace(tzinfo=None) for moment in points]
            assume(
                all(
                    t.replace(tzinfo=zone, fold=0).utcoffset() == t.replace(tzinfo=zone, fold=1).utcoffset()
                    for t in local
                )
            )
        campaign, (source, target) = await _new_timeseries(engine, 2, ["source", "target"])
        body = {"source": {moment.isoformat(): value for moment, value in points.items()}}
        assert (await post_json(client, admin, body, campaign=campaign)).status_code == 201
        exported = await get_data(
            client,
            admin,
            ["source"],
            "1990-01-01T00:00:00Z",
            "2061-01-01T00:00:00Z",
            campaign=campaign,
            accept=CSV,
            timezone=zone_name,
            separator=separator,
            decimal=decimal,
            time_format=time_format,
        )
        assert exported.status_code == 200, exported.text
        renamed = exported.content.replace(b"source", b"target", 1)
        response = await post_csv(client, admin, renamed, campaign=campaign, timezone=zone_name)
        assert response.status_code == 201, response.text
        assert await stored(engine, target) == await stored(engine, source)
        assert len(await stored(engine, target)) == len(points)
