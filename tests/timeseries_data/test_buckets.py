"""The bucket grid: floors, steps and labels in any timezone, across DST changes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bemserver.http.errors import Unprocessable
from bemserver.timeseries_data.buckets import BucketUnit, CalendarGrid, FixedGrid, grid, iso_starts
from tests.timeseries_data import aggregate_model

LIMIT = 10**6


def labels(made: FixedGrid | CalendarGrid, timezone: str) -> list[str]:
    tz = ZoneInfo(timezone)
    return [made.start(k).astimezone(tz).isoformat() for k in range(made.count)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class TestFixedUnits:
    def test_hourly_buckets_skip_the_missing_hour_on_spring_forward(self):
        made = grid(
            at("2020-03-29T00:00:00+01:00"),
            at("2020-03-29T05:00:00+02:00"),
            "Europe/Paris",
            1,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == [
            "2020-03-29T00:00:00+01:00",
            "2020-03-29T01:00:00+01:00",
            "2020-03-29T03:00:00+02:00",
            "2020-03-29T04:00:00+02:00",
        ]

    def test_hourly_buckets_repeat_the_doubled_hour_on_fall_back(self):
        made = grid(
            at("2020-10-25T01:00:00+02:00"),
            at("2020-10-25T04:00:00+01:00"),
            "Europe/Paris",
            1,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == [
            "2020-10-25T01:00:00+02:00",
            "2020-10-25T02:00:00+02:00",
            "2020-10-25T02:00:00+01:00",
            "2020-10-25T03:00:00+01:00",
        ]

    def test_two_hour_buckets_step_in_absolute_time_across_spring_forward(self):
        made = grid(
            at("2020-03-29T00:00:00+01:00"),
            at("2020-03-29T06:00:00+02:00"),
            "Europe/Paris",
            2,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == [
            "2020-03-29T00:00:00+01:00",
            "2020-03-29T03:00:00+02:00",
            "2020-03-29T05:00:00+02:00",
        ]

    def test_two_hour_buckets_fall_on_odd_hours_after_fall_back(self):
        made = grid(
            at("2020-10-25T00:00:00+02:00"),
            at("2020-10-25T05:00:00+01:00"),
            "Europe/Paris",
            2,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == [
            "2020-10-25T00:00:00+02:00",
            "2020-10-25T02:00:00+02:00",
            "2020-10-25T03:00:00+01:00",
        ]

    def test_four_hours_start_at_local_midnight(self):
        made = grid(
            at("2020-06-01T10:30:00+00:00"),
            at("2020-06-01T12:00:00+00:00"),
            "Europe/Paris",
            4,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == ["2020-06-01T12:00:00+02:00"]

    def test_five_hours_are_aligned_on_multiples_from_the_epoch_in_local_time(self):
        made = grid(
            at("2020-01-01T00:00:00+00:00"), at("2020-01-01T06:00:00+00:00"), "UTC", 5, BucketUnit.HOUR, LIMIT
        )
        # 2020-01-01T00:00 is 438,288 hours after the epoch: the 5-hour floor is 3 hours earlier
        assert labels(made, "UTC") == ["2019-12-31T21:00:00+00:00", "2020-01-01T02:00:00+00:00"]

    def test_quarter_hour_offsets_keep_local_alignment(self):
        made = grid(
            at("2020-06-01T00:00:00+00:00"),
            at("2020-06-01T01:00:00+00:00"),
            "Asia/Kathmandu",
            30,
            BucketUnit.MINUTE,
            LIMIT,
        )
        assert labels(made, "Asia/Kathmandu") == [
            "2020-06-01T05:30:00+05:45",
            "2020-06-01T06:00:00+05:45",
            "2020-06-01T06:30:00+05:45",
        ]
        assert made.start(0) == at("2020-05-31T23:45:00+00:00")

    def test_the_window_widens_to_whole_buckets(self):
        made = grid(
            at("2020-01-01T10:20:00+00:00"),
            at("2020-01-01T11:05:00+00:00"),
            "UTC",
            30,
            BucketUnit.MINUTE,
            LIMIT,
        )
        assert (made.start(0), made.end) == (at("2020-01-01T10:00:00+00:00"), at("2020-01-01T11:30:00+00:00"))

    def test_an_end_on_the_grid_is_not_widened(self):
        made = grid(
            at("2020-01-01T10:00:00+00:00"),
            at("2020-01-01T11:00:00+00:00"),
            "UTC",
            30,
            BucketUnit.MINUTE,
            LIMIT,
        )
        assert made.count == 2

    def test_an_empty_window_inside_a_bucket_is_that_bucket(self):
        made = grid(
            at("2020-01-01T10:20:00+00:00"), at("2020-01-01T10:20:00+00:00"), "UTC", 1, BucketUnit.HOUR, LIMIT
        )
        assert made.count == 1

    @pytest.mark.parametrize(
        "start,end",
        [
            ("2020-01-01T10:00:00+00:00", "2020-01-01T10:00:00+00:00"),
            ("2020-01-02T00:00:00+00:00", "2020-01-01T00:00:00+00:00"),
        ],
    )
    def test_an_end_not_after_the_floored_start_has_no_bucket(self, start, end):
        assert grid(at(start), at(end), "UTC", 1, BucketUnit.HOUR, LIMIT).count == 0

    def test_a_floor_in_a_skipped_hour_falls_before_the_change(self):
        # 03:30+02:00 floors to 02:00 local, which does not exist on that day
        made = grid(
            at("2020-03-29T03:30:00+02:00"),
            at("2020-03-29T04:00:00+02:00"),
            "Europe/Paris",
            2,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert made.start(0) <= at("2020-03-29T03:30:00+02:00") < made.start(0) + timedelta(hours=2)

    def test_seconds(self):
        made = grid(
            at("2020-01-01T00:00:01.5+00:00"),
            at("2020-01-01T00:00:03+00:00"),
            "UTC",
            1,
            BucketUnit.SECOND,
            LIMIT,
        )
        assert labels(made, "UTC") == ["2020-01-01T00:00:01+00:00", "2020-01-01T00:00:02+00:00"]


class TestCalendarUnits:
    def test_days_last_23_and_25_hours_across_dst(self):
        spring = grid(
            at("2020-03-29T00:00:00+01:00"),
            at("2020-03-30T00:00:00+02:00"),
            "Europe/Paris",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        fall = grid(
            at("2020-10-25T00:00:00+02:00"),
            at("2020-10-26T00:00:00+01:00"),
            "Europe/Paris",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        assert spring.end - spring.start(0) == timedelta(hours=23)
        assert fall.end - fall.start(0) == timedelta(hours=25)

    def test_days_around_the_march_change_in_paris(self):
        made = grid(
            at("2020-03-28T00:00:00+01:00"),
            at("2020-03-30T12:00:00+02:00"),
            "Europe/Paris",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == [
            "2020-03-28T00:00:00+01:00",
            "2020-03-29T00:00:00+01:00",
            "2020-03-30T00:00:00+02:00",
        ]

    def test_weeks_start_on_monday_local_midnight(self):
        made = grid(
            at("2020-01-01T00:00:00+00:00"),
            at("2020-01-02T00:00:00+00:00"),
            "Europe/Paris",
            1,
            BucketUnit.WEEK,
            LIMIT,
        )
        assert labels(made, "Europe/Paris") == ["2019-12-30T00:00:00+01:00"]

    def test_months_and_years_start_on_the_first(self):
        months = grid(
            at("2020-01-15T00:00:00+00:00"),
            at("2020-03-02T00:00:00+00:00"),
            "America/New_York",
            1,
            BucketUnit.MONTH,
            LIMIT,
        )
        years = grid(
            at("2020-06-01T00:00:00+00:00"), at("2021-06-01T00:00:00+00:00"), "UTC", 1, BucketUnit.YEAR, LIMIT
        )
        assert labels(months, "America/New_York") == [
            "2020-01-01T00:00:00-05:00",
            "2020-02-01T00:00:00-05:00",
            "2020-03-01T00:00:00-05:00",
        ]
        assert labels(years, "UTC") == ["2020-01-01T00:00:00+00:00", "2021-01-01T00:00:00+00:00"]

    def test_a_skipped_midnight_starts_the_day_when_clocks_jump(self):
        # Santiago moved its clocks from 00:00 to 01:00 on 2019-09-08
        made = grid(
            at("2019-09-08T12:00:00+00:00"),
            at("2019-09-08T13:00:00+00:00"),
            "America/Santiago",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        assert labels(made, "America/Santiago") == ["2019-09-08T01:00:00-03:00"]

    def test_lord_howe_days_last_23_and_a_half_hours_in_october(self):
        made = grid(
            at("2020-10-04T00:00:00+10:30"),
            at("2020-10-04T12:00:00+11:00"),
            "Australia/Lord_Howe",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        assert made.end - made.start(0) == timedelta(hours=23, minutes=30)

    @pytest.mark.parametrize("unit", [BucketUnit.DAY, BucketUnit.WEEK, BucketUnit.MONTH, BucketUnit.YEAR])
    def test_a_multiplier_is_refused(self, unit):
        with pytest.raises(Unprocessable) as raised:
            grid(at("2020-01-01T00:00:00+00:00"), at("2020-02-01T00:00:00+00:00"), "UTC", 2, unit, LIMIT)
        assert raised.value.errors == {
            "query": {
                "bucket_width_value": [
                    "Only fixed bucket width units (second, minute, hour) accept a value different than 1."
                ]
            }
        }


class TestLimits:
    def test_too_many_fixed_buckets_are_refused(self):
        with pytest.raises(Unprocessable):
            grid(
                at("2020-01-01T00:00:00+00:00"),
                at("2021-01-01T00:00:00+00:00"),
                "UTC",
                1,
                BucketUnit.SECOND,
                1000,
            )

    def test_too_many_calendar_buckets_are_refused(self):
        with pytest.raises(Unprocessable):
            grid(
                at("1700-01-01T00:00:00+00:00"),
                at("2200-01-01T00:00:00+00:00"),
                "UTC",
                1,
                BucketUnit.DAY,
                1000,
            )


class TestAlignment:
    def test_paris_hours_lie_on_hourly_cells(self):
        made = grid(
            at("2020-03-28T00:00:00+00:00"),
            at("2020-03-30T00:00:00+00:00"),
            "Europe/Paris",
            1,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert made.aligned(3600)

    def test_kathmandu_hours_lie_on_quarter_cells_only(self):
        made = grid(
            at("2020-03-28T00:00:00+00:00"),
            at("2020-03-30T00:00:00+00:00"),
            "Asia/Kathmandu",
            1,
            BucketUnit.HOUR,
            LIMIT,
        )
        assert made.aligned(900) and not made.aligned(3600)

    def test_paris_days_lie_on_hourly_cells_not_on_utc_days(self):
        made = grid(
            at("2020-03-01T00:00:00+00:00"),
            at("2020-04-01T00:00:00+00:00"),
            "Europe/Paris",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        assert made.aligned(3600) and not made.aligned(86400)

    def test_local_mean_time_lies_on_no_cell(self):
        made = grid(
            at("1900-01-01T00:00:00+00:00"),
            at("1900-01-03T00:00:00+00:00"),
            "Europe/Paris",
            1,
            BucketUnit.DAY,
            LIMIT,
        )
        assert not made.aligned(900)


TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
WIDTHS = [
    (1, "second"),
    (7, "second"),
    (1, "minute"),
    (15, "minute"),
    (45, "minute"),
    (1, "hour"),
    (2, "hour"),
    (5, "hour"),
    (1, "day"),
    (1, "week"),
    (1, "month"),
    (1, "year"),
]
SPANS = {"second": 600, "minute": 86_400, "hour": 10 * 86_400, "day": 60 * 86_400, "week": 90 * 86_400}
MOMENTS = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2022, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    timezone=st.sampled_from(TIMEZONES),
    width=st.sampled_from(WIDTHS),
    start=MOMENTS,
    fraction=st.floats(0, 1),
)
def test_the_grid_matches_the_definition(timezone, width, start, fraction):
    value, unit = width
    end = start + timedelta(seconds=fraction * SPANS.get(unit, 3 * 366 * 86_400))
    made = grid(start, end, timezone, value, BucketUnit(unit), LIMIT)
    expected = aggregate_model.bounds(start, end, timezone, value, unit)
    assert [made.start(k) for k in range(made.count + 1)] == expected
    assert made.start(0) <= start
    if made.count:
        assert made.start(made.count - 1) < end <= made.end


# Around the usual DST changes (northern and southern), in years with and without DST rules.
AROUND_CHANGES = st.builds(
    lambda year, month, day: datetime(year, month, day, tzinfo=UTC),
    st.integers(1900, 2036),
    st.sampled_from([3, 4, 9, 10, 11]),
    st.integers(1, 28),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    timezone=st.sampled_from([*TIMEZONES, "Europe/Dublin", "America/St_Johns", "Africa/Casablanca"]),
    minutes=st.sampled_from([7, 15, 30, 60, 300]),
    start=AROUND_CHANGES,
    span=st.integers(500, 4000),
    first=st.integers(0, 50),
)
def test_local_start_texts_are_isoformat_of_each_start(timezone, minutes, start, span, first):
    """iso_starts (the aggregates' JSON keys) reads the offset once an hour of buckets: it must
    still give every bucket's own isoformat, across DST changes and historical offsets."""
    made = FixedGrid(start, timedelta(minutes=minutes), span)
    assert iso_starts(made, ZoneInfo(timezone), first, span) == labels(made, timezone)[first:]


@pytest.mark.parametrize(
    ("timezone", "start"),
    [
        ("Europe/Paris", "2024-03-30T00:00:00+00:00"),
        ("Europe/Paris", "2024-10-26T00:00:00+00:00"),
        ("Australia/Lord_Howe", "2024-04-06T00:00:00+00:00"),
        ("Australia/Lord_Howe", "2024-10-05T00:00:00+00:00"),
    ],
)
def test_local_start_texts_across_a_dst_change(timezone, start):
    made = FixedGrid(at(start), timedelta(minutes=15), 4 * 24 * 3)
    texts = iso_starts(made, ZoneInfo(timezone), 0, made.count)
    assert texts == labels(made, timezone)
    assert len({text[-6:] for text in texts}) == 2  # the offset did change
