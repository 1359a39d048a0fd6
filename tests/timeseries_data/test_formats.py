"""formats.py: negotiation, scalar rendering and its SQL twins."""

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bemserver.timeseries_data.formats import (
    Format,
    accepted_format,
    body_format,
    csv_header,
    csv_timestamp,
    json_timestamp,
    number_text,
    sql_csv_timestamp,
    sql_json_timestamp,
    sql_number,
)

PARIS = ZoneInfo("Europe/Paris")


class TestAcceptedFormat:
    @pytest.mark.parametrize(
        "accept",
        [
            "text/csv",
            "text/csv; charset=utf-8",
            "TEXT/CSV",
            "application/json;q=0.5, text/csv",
            "text/*",
            "text/csv;q=bogus",
        ],
    )
    def test_csv_when_preferred(self, accept):
        assert accepted_format(accept) is Format.CSV

    @pytest.mark.parametrize(
        "accept",
        [
            None,
            "",
            "*/*",
            "application/json",
            "text/html",
            "text/csv;q=0.4, application/json",
            "text/csv;q=0",
            "application/json, text/csv",
            ";;,",
        ],
    )
    def test_json_otherwise(self, accept):
        assert accepted_format(accept) is Format.JSON

    def test_specific_csv_beats_wildcard(self):
        assert accepted_format("*/*, text/csv") is Format.CSV


class TestBodyFormat:
    @pytest.mark.parametrize("content_type", ["text/csv", "text/csv; charset=utf-8", " Text/CSV ;x=y"])
    def test_csv_media_type_with_any_parameters(self, content_type):
        assert body_format(content_type) is Format.CSV

    @pytest.mark.parametrize("content_type", [None, "", "application/json", "text/plain", "text/csvx"])
    def test_anything_else_is_json(self, content_type):
        assert body_format(content_type) is Format.JSON


class TestScalars:
    def test_json_timestamp_is_isoformat_in_timezone(self):
        moment = datetime(2020, 1, 1, tzinfo=UTC)
        assert json_timestamp(moment, PARIS) == "2020-01-01T01:00:00+01:00"
        assert json_timestamp(moment + timedelta(microseconds=500000), UTC).endswith("00.500000+00:00")

    def test_csv_timestamp_has_no_colon_nor_fraction(self):
        moment = datetime(2020, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
        assert csv_timestamp(moment, PARIS) == "2020-01-01T01:00:00+0100"

    def test_numbers_are_python_repr_and_ints_stay_ints(self):
        assert [number_text(v) for v in (0.0, 2.1666666666666665, 3, None, math.nan)] == [
            "0.0",
            "2.1666666666666665",
            "3",
            "",
            "",
        ]

    def test_csv_header_quotes_names_with_commas_and_quotes(self):
        assert csv_header(["a,b", 'say "x"', "é"]) == 'Datetime,"a,b","say ""x""",é\n'

    def test_csv_header_quotes_line_breaks_even_a_lone_cr(self):
        assert csv_header(["a\rb", "c\nd", " e "]) == 'Datetime,"a\rb","c\nd", e \n'


finite_floats = st.floats(allow_nan=False, allow_infinity=False)
moments = st.datetimes(
    min_value=datetime(1680, 1, 1), max_value=datetime(2259, 12, 31), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)
zones = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kathmandu", "Africa/Monrovia"])


class TestSqlRenderingMatchesPython:
    @settings(max_examples=25, deadline=None)
    @given(values=st.lists(finite_floats, min_size=1, max_size=200))
    async def test_sql_number_is_python_repr(self, engine, values):
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    f"SELECT {sql_number('v')} FROM unnest(CAST(:v AS float8[])) WITH ORDINALITY u(v, o) ORDER BY o"
                ),
                {"v": values},
            )
            assert [row[0] for row in rows] == [repr(v) for v in values]

    @settings(max_examples=25, deadline=None)
    @given(stamps=st.lists(moments, min_size=1, max_size=100), zone=zones, precomputed=st.booleans())
    async def test_sql_timestamps_are_the_python_ones(self, engine, stamps, zone, precomputed):
        # With `precomputed`, the expressions also get the column's text (DateStyle ISO) to start from.
        x = "x" if precomputed else None
        async with engine.begin() as connection:
            await connection.execute(
                text("SELECT set_config('TimeZone', :tz, true), set_config('DateStyle', 'ISO', true)"),
                {"tz": zone},
            )
            rows = await connection.execute(
                text(
                    f"SELECT {sql_json_timestamp('t', x)}, {sql_csv_timestamp('t', x)} FROM"
                    " (SELECT t, o, t::text AS x FROM unnest(CAST(:t AS timestamptz[])) WITH ORDINALITY u(t, o)) s"
                    " ORDER BY o"
                ),
                {"t": stamps},
            )
            tz = ZoneInfo(zone)
            assert [tuple(row) for row in rows] == [
                (json_timestamp(t, tz), csv_timestamp(t, tz)) for t in stamps
            ]
