"""CSV dialects of posted data: separators, decimal commas, encodings, header clean-up, local times
and spreadsheet date forms, with every error naming its line and column."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.timeseries_data.conftest import post_csv, post_json, stored
from tests.timeseries_data.test_roundtrip import HYPOTHESIS, _new_timeseries

T0, T1 = "2020-01-01T00:00:00+00:00", "2020-01-01T01:00:00+00:00"


class TestSeparatorsAndDecimals:
    @pytest.mark.parametrize("separator", [",", ";", "\t"])
    async def test_each_separator(self, client, world, engine, separator):
        body = separator.join(["Datetime", str(world.ts[0]), str(world.ts[1])]) + "\n"
        body += separator.join([T0, "1.5", "2"]) + "\n"
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[0]) == {T0: 1.5}
        assert await stored(engine, world.ts[1]) == {T0: 2.0}

    @pytest.mark.parametrize("separator", [";", "\t"])
    async def test_decimal_comma_with_semicolon_or_tab(self, client, world, engine, separator):
        body = f"Datetime{separator}{world.ts[0]}\n{T0}{separator}1,9\n{T1}{separator}-0,5e3\n"
        assert (await post_csv(client, world.admin, body)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.9, T1: -500.0}

    async def test_decimal_comma_in_a_comma_file_is_refused_with_a_hint(self, client, world, engine):
        body = f'Datetime,{world.ts[0]}\n{T0},"1,9"\n'
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 422
        assert response.json()["message"] == (
            f"Invalid values: '1,9' at line 2, column '{world.ts[0]}'"
            " (a decimal comma is read in files separated by ; or tab)"
        )

    async def test_a_name_holding_semicolons_in_a_comma_file(self, client, world, engine):
        """The separator is the one after 'Datetime', however many others the names hold."""
        body = f"Datetime,{world.ts[0]}\n{T0},1\n".replace(str(world.ts[0]), "Power; kW; total")
        response = await post_csv(client, world.admin, body, campaign=world.campaign)
        assert response.json()["message"] == "Unknown timeseries: ['Power; kW; total']"

    @pytest.mark.parametrize("separator", [",", ";", "\t"])
    async def test_blanks_around_a_quoted_cell(self, client, world, engine, separator):
        """`;  "1,5"`: unquoted like `;"1,5"` (a separator inside the quotes stays in the cell)."""
        number = "1.5" if separator == "," else "1,5"
        body = f'Datetime{separator}  "{world.ts[0]}"  {separator} "{world.ts[1]}"\n'
        body += f'  "{T0}"{separator}  "{number}" {separator}   "-2"\n'
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[0]) == {T0: 1.5}
        assert await stored(engine, world.ts[1]) == {T0: -2.0}

    async def test_a_european_spreadsheet_export(self, client, world, engine):
        """';', decimal comma, Windows-1252, CRLF, blanks around names, local times."""
        body = (
            'Datetime ; Temperature ;"Énergie ""totale"""\r\n'
            "01/01/2020 01:00;1,5;1234,25\r\n"
            "01/01/2020 02:00;;7\r\n"
        ).encode("cp1252")
        response = await post_csv(client, world.admin, body, campaign=world.campaign, timezone="Europe/Paris")
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[0]) == {T0: 1.5}
        assert await stored(engine, world.ts[3]) == {T0: 1234.25, T1: 7.0}


class TestEncodings:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
    async def test_detected(self, client, world, engine, encoding):
        body = f'Datetime,"Énergie ""totale"""\n{T0},3\n'.encode(encoding)
        response = await post_csv(client, world.admin, body, campaign=world.campaign)
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[3]) == {T0: 3.0}

    async def test_declared_charset(self, client, world, engine):
        body = f'Datetime,"Énergie ""totale"""\n{T0},3\n'.encode("latin-1")
        content_type = "text/csv; charset=ISO-8859-1"
        response = await post_csv(
            client, world.admin, body, campaign=world.campaign, content_type=content_type
        )
        assert response.status_code == 201, response.text

    async def test_declared_utf8_is_not_guessed(self, client, world, engine):
        body = f'Datetime,"Énergie ""totale"""\n{T0},3\n'.encode("cp1252")
        content_type = "text/csv; charset=utf-8"
        response = await post_csv(
            client, world.admin, body, campaign=world.campaign, content_type=content_type
        )
        assert response.status_code == 422
        assert response.json()["message"].startswith("Invalid file: Invalid UTF-8")

    async def test_unknown_charset(self, client, world):
        response = await post_csv(client, world.admin, "Datetime\n", content_type="text/csv; charset=rot13")
        assert response.status_code == 422
        assert (
            response.json()["message"] == "Invalid file: Unknown charset 'rot13' (use utf-8 or windows-1252)"
        )


class TestHeader:
    async def test_names_are_trimmed(self, client, world, engine):
        body = f" Datetime , {world.ts[0]} \n{T0},4\n"
        assert (await post_csv(client, world.admin, body)).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 4.0}

    async def test_duplicates_are_refused(self, client, world, engine):
        response = await post_csv(
            client, world.admin, "Datetime,Temperature, Temperature\n", campaign=world.campaign
        )
        assert response.status_code == 422
        assert response.json()["message"] == "Bad CSV file: the header names 'Temperature' twice"

    async def test_a_first_header_holding_separators_gets_a_hint(self, client, world):
        response = await post_csv(client, world.admin, "Datetime|T_ext|Elec\n")
        assert response.json()["message"] == (
            "Invalid file: the first header must be 'Datetime', not 'Datetime|T_ext|Elec'"
        )
        response = await post_csv(client, world.admin, "Date;T_ext;Elec\n")
        assert "separator" not in response.json()["message"]


class TestLocalTimes:
    @pytest.mark.parametrize(
        "moment",
        [
            "2020-01-01 01:00:00",
            "2020-01-01T01:00",
            "01/01/2020 01:00",
            "1/1/2020 1:00",
            "01/01/2020 01:00:00",
            "01.01.2020 01:00",
            "2020/01/01 01:00:00",
            "01/01/2020 01:00:00.000",
        ],
    )
    async def test_forms_read_in_the_named_timezone(self, client, world, engine, moment):
        body = f"Datetime,{world.ts[0]}\n{moment},1\n"
        response = await post_csv(client, world.admin, body, timezone="Europe/Paris")
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_a_date_alone_is_midnight(self, client, world, engine):
        body = f"Datetime,{world.ts[0]}\n01/01/2020,1\n"
        assert (await post_csv(client, world.admin, body, timezone="UTC")).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_offsets_win_over_the_timezone(self, client, world, engine):
        body = f"Datetime,{world.ts[0]}\n{T0},1\n"
        assert (await post_csv(client, world.admin, body, timezone="Asia/Tokyo")).status_code == 201
        assert await stored(engine, world.ts[0]) == {T0: 1.0}

    async def test_json_local_times(self, client, world, engine):
        response = await post_json(
            client, world.admin, {str(world.ts[0]): {"2020-01-01 01:00": 2}}, timezone="Europe/Paris"
        )
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[0]) == {T0: 2.0}

    async def test_month_first(self, client, world, engine):
        body = f"Datetime,{world.ts[0]}\n01/31/2020 00:00,1\n"
        assert (
            await post_csv(client, world.admin, body, timezone="UTC", date_order="MDY")
        ).status_code == 201
        assert await stored(engine, world.ts[0]) == {"2020-01-31T00:00:00+00:00": 1.0}

    async def test_a_month_beyond_12_hints_at_the_date_order(self, client, world):
        body = f"Datetime,{world.ts[0]}\n01/31/2020 00:00,1\n"
        response = await post_csv(client, world.admin, body, timezone="UTC")
        assert response.json()["message"] == (
            "Invalid timestamp: '01/31/2020 00:00' at line 2, column 'Datetime'."
            " Slashed dates are read as D/M/Y; for M/D/Y add date_order=MDY"
        )

    @pytest.mark.parametrize("moment", ["2020-01-01 01:00:00", "01/01/2020 01:00"])
    async def test_without_timezone_a_hint(self, client, world, engine, moment):
        body = f"Datetime,{world.ts[0]}\n{T0},1\n{moment},1\n"
        response = await post_csv(client, world.admin, body)
        assert response.status_code == 422
        assert response.json()["message"] == (
            f"Invalid or TZ-naive timestamp: '{moment}' at line 3, column 'Datetime'."
            " Local times need their timezone in the query, e.g. timezone=Europe/Paris"
            " (or give each timestamp its UTC offset, e.g. 2023-01-31T00:00:00+01:00)"
        )
        assert await stored(engine, world.ts[0]) == {}

    async def test_unknown_timezone(self, client, world):
        response = await post_csv(client, world.admin, "Datetime\n", timezone="Mars/Olympus")
        assert response.status_code == 422
        assert "timezone" in response.json()["errors"]["query"]


class TestDaylightSavingTime:
    GAP = "2020-03-29 02:30:00"  # Europe/Paris: 02:00 -> 03:00
    OVERLAP = "2020-10-25 02:30:00"  # Europe/Paris: 03:00 -> 02:00

    async def test_a_time_the_clocks_skip_is_refused(self, client, world, engine):
        body = f"Datetime,{world.ts[0]}\n2020-03-29 01:30:00,1\n{self.GAP},2\n"
        response = await post_csv(client, world.admin, body, timezone="Europe/Paris")
        assert response.status_code == 422
        assert response.json()["message"] == (
            f"Ambiguous local time: '{self.GAP}' does not exist in Europe/Paris (DST starts, the clocks"
            " skip it) at line 3, column 'Datetime'. Give the timestamps their UTC offset, or choose with"
            " dst=earlier or dst=later"
        )
        assert await stored(engine, world.ts[0]) == {}

    async def test_a_time_that_occurs_twice_is_refused(self, client, world):
        body = f"Datetime,{world.ts[0]}\n{self.OVERLAP},1\n"
        response = await post_csv(client, world.admin, body, timezone="Europe/Paris")
        assert response.status_code == 422
        assert "occurs twice in Europe/Paris" in response.json()["message"]
        assert "line 2, column 'Datetime'" in response.json()["message"]

    @pytest.mark.parametrize(
        ("dst", "gap", "overlap"),
        [
            ("earlier", "2020-03-29T00:30:00+00:00", "2020-10-25T00:30:00+00:00"),
            ("later", "2020-03-29T01:30:00+00:00", "2020-10-25T01:30:00+00:00"),
        ],
    )
    async def test_the_choice(self, client, world, engine, dst, gap, overlap):
        body = f"Datetime,{world.ts[0]}\n{self.GAP},1\n{self.OVERLAP},2\n"
        response = await post_csv(client, world.admin, body, timezone="Europe/Paris", dst=dst)
        assert response.status_code == 201, response.text
        assert await stored(engine, world.ts[0]) == {gap: 1.0, overlap: 2.0}


class TestErrorsNameLineAndColumn:
    async def test_timestamp(self, client, world):
        body = f"Datetime,{world.ts[0]}\n{T0},1\n\n2023-02-30T00:00:00+01:00,2\n"
        response = await post_csv(client, world.admin, body)
        assert response.json()["message"] == (
            "Invalid timestamp: '2023-02-30T00:00:00+01:00' at line 4, column 'Datetime'"
        )

    async def test_out_of_range_timestamp(self, client, world):
        body = f"Datetime,{world.ts[0]}\n1500-01-01T00:00:00Z,2\n"
        message = (await post_csv(client, world.admin, body)).json()["message"]
        assert message.startswith("Invalid timestamp: '1500-01-01T00:00:00Z' at line 2, column 'Datetime'")

    async def test_value(self, client, world):
        body = f"Datetime;{world.ts[0]};{world.ts[1]}\n{T0};1;2\n{T1};3;1,2,3\n"
        response = await post_csv(client, world.admin, body)
        assert response.json()["message"] == f"Invalid values: '1,2,3' at line 3, column '{world.ts[1]}'"


_zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
_forms = {
    "naive ISO": "%Y-%m-%d %H:%M:%S.%f",
    "slashed": "%d/%m/%Y %H:%M:%S.%f",
    "dotted": "%d.%m.%Y %H:%M:%S.%f",
    "year first": "%Y/%m/%d %H:%M:%S.%f",
}


def _unambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    return naive.replace(tzinfo=zone, fold=0).utcoffset() == naive.replace(tzinfo=zone, fold=1).utcoffset()


class TestDialectRoundTrip:
    @HYPOTHESIS
    @given(
        separator=st.sampled_from([",", ";", "\t"]),
        padding=st.sampled_from(["", " ", "  "]),
        quoted=st.booleans(),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
        zone_name=st.sampled_from(_zones),
        form=st.sampled_from(sorted(_forms)),
        points=st.dictionaries(
            st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
            st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False),
            min_size=1,
            max_size=30,
        ),
    )
    async def test_local_times_any_separator_decimal_mark_and_encoding(
        self, client, admin, engine, separator, padding, quoted, encoding, zone_name, form, points
    ):
        zone = ZoneInfo(zone_name)
        assume(all(_unambiguous(naive, zone) for naive in points))
        campaign, (ts,) = await _new_timeseries(engine, 1, ["Énergie totale"])
        lines = [separator.join(["Datetime", "Énergie totale"])]
        for naive, value in points.items():
            number = repr(value).replace(".", ",") if separator != "," else repr(value)
            if quoted:  # blanks around a quoted cell are no part of it
                number = f'{padding}"{number}"{padding}'
            lines.append(separator.join([naive.strftime(_forms[form]), number]))
        body = ("\r\n".join(lines) + "\r\n").encode(encoding)
        response = await post_csv(client, admin, body, campaign=campaign, timezone=zone_name)
        assert response.status_code == 201, response.text
        expected = {
            naive.replace(tzinfo=zone).astimezone(UTC).isoformat(): value
            for naive, value in sorted(points.items(), key=lambda item: item[0].replace(tzinfo=zone))
        }
        assert await stored(engine, ts) == expected
