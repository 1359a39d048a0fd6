"""numeric.py: the numbers of the aggregate and raw routes, for Python callers, on the same data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bemserver.auth.caller import Caller
from bemserver.http.errors import Forbidden, NotFound, Unprocessable
from bemserver.timeseries_data import ingest, numeric
from bemserver.timeseries_data.aggregate import Aggregation
from bemserver.timeseries_data.buckets import BucketUnit
from bemserver.timeseries_data.posted import python_points
from bemserver.timeseries_data.selection import Selection
from tests.timeseries_data.aggregate_helpers import get_aggregate, get_stats
from tests.timeseries_data.conftest import CLEAN, NAMES, RAW, get_data, post_json

START, END = "2020-03-28T00:00:00+01:00", "2020-03-31T00:00:00+02:00"
# Values that are not all whole numbers of millionths, over the Paris spring-forward day
POINTS = {
    "2020-03-28T23:10:00+01:00": 1.5,
    "2020-03-29T00:00:00+01:00": 1.0,
    "2020-03-29T00:20:00+01:00": 0.1,
    "2020-03-29T01:30:00+01:00": 2.0,
    "2020-03-29T03:30:00+02:00": 3.5,
    "2020-03-29T03:45:00+02:00": 1e-7,
    "2020-03-30T12:00:00+02:00": -4.25,
}
OTHER = {"2020-03-29T01:40:00+01:00": 10.0, "2020-03-30T00:00:00+02:00": 20.0}


def _caller(user: Any) -> Caller:
    return Caller(user.id, user.email, user.is_admin, user.is_active)


def _at(text_moment: str) -> datetime:
    return datetime.fromisoformat(text_moment)


@pytest.fixture
async def filled(client, world):
    body = {str(world.ts[0]): POINTS, str(world.ts[1]): OTHER}
    assert (await post_json(client, world.admin, body)).status_code == 201
    return world


async def _both(
    client, engine, world, timeseries, width, unit, aggregation, timezone, campaign=None, **extra
):
    """The HTTP answer (JSON) and the numeric one for the same request."""
    response = await get_aggregate(
        client, world.admin, timeseries, START, END, width, unit, aggregation.value,
        campaign=campaign, timezone=timezone, **extra,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    selection = Selection(timeseries, RAW, campaign)
    grid = numeric.Bucketing(_at(START), _at(END), width, BucketUnit(unit), timezone)
    convert_to = extra.get("convert_to")
    async with engine.connect() as connection:
        buckets = await numeric.bucketed(
            connection, _caller(world.admin), selection, grid, aggregation, convert_to=convert_to
        )
    return response.json(), buckets


def _as_answer(buckets: numeric.Buckets) -> dict[str, dict[str, Any]]:
    return {
        str(key): {start.isoformat(): value for start, value in zip(buckets.starts, column, strict=True)}
        for key, column in buckets.values.items()
    }


class TestBucketedIsTheAggregateAnswer:
    @pytest.mark.parametrize("aggregation", list(Aggregation))
    @pytest.mark.parametrize(
        ("width", "unit", "timezone"),
        [
            (1, "hour", "UTC"),  # hour rollups
            (1, "hour", "Europe/Paris"),
            (1, "day", "Europe/Paris"),  # calendar days of 23 and 24 hours, from quarter rollups
            (1, "day", "UTC"),  # day rollups
            (10, "minute", "UTC"),  # from the points
            (7, "minute", "Asia/Kathmandu"),
            (3, "hour", "Asia/Kathmandu"),
            (1, "month", "America/New_York"),
        ],
    )
    async def test_same_numbers_on_the_same_grid(
        self, client, engine, filled, width, unit, timezone, aggregation
    ):
        ids = [filled.ts[1], filled.ts[0], filled.ts[2]]  # ts3 has no points
        answer, buckets = await _both(client, engine, filled, ids, width, unit, aggregation, timezone)
        assert _as_answer(buckets) == answer
        assert list(buckets.values) == ids
        assert buckets.end >= _at(END)
        empty = 0 if aggregation is Aggregation.COUNT else None
        assert set(buckets.values[filled.ts[2]]) == {empty}
        if aggregation is Aggregation.COUNT:
            assert all(type(value) is int for value in buckets.values[filled.ts[0]])

    async def test_by_name_with_conversion(self, client, engine, filled):
        names = [NAMES[1], NAMES[0]]
        answer, buckets = await _both(
            client, engine, filled, names, 1, "hour", Aggregation.SUM, "Europe/Paris",
            campaign=filled.campaign, convert_to=["W", "°F"],
        )  # fmt: skip
        assert _as_answer(buckets) == answer
        assert list(buckets.values) == names
        assert 10_000.0 in buckets.values[NAMES[1]]

    async def test_a_converted_count_converts_its_empty_buckets_too(self, client, engine, filled):
        answer, buckets = await _both(
            client, engine, filled, [filled.ts[0]], 1, "day", Aggregation.COUNT, "UTC", convert_to=["%"]
        )
        assert _as_answer(buckets) == answer
        assert buckets.values[filled.ts[0]][0] == 0.0

    async def test_no_data_at_all(self, client, engine, world):
        for aggregation in (Aggregation.AVG, Aggregation.COUNT):
            answer, buckets = await _both(client, engine, world, [world.ts[0]], 1, "day", aggregation, "UTC")
            assert _as_answer(buckets) == answer
            assert len(buckets.starts) == 4  # the window widened to whole UTC days

    async def test_an_empty_window_has_no_bucket(self, engine, filled):
        grid = numeric.Bucketing(_at(START), _at(START), 1, BucketUnit.HOUR)
        async with engine.connect() as connection:
            buckets = await numeric.bucketed(
                connection, _caller(filled.admin), Selection([filled.ts[0]], RAW), grid
            )
        assert buckets.starts == [] and buckets.values == {filled.ts[0]: []}

    async def test_rollups_are_refreshed_and_see_the_callers_own_writes(self, client, engine, filled):
        # Read once (rollups built), then change points in the reader's own transaction.
        grid = numeric.Bucketing(_at(START), _at(END), 1, BucketUnit.DAY, "UTC")
        caller, selection = _caller(filled.admin), Selection([filled.ts[0]], RAW)
        async with engine.begin() as connection:
            before = await numeric.bucketed(connection, caller, selection, grid, Aggregation.SUM)
            series = await connection.scalar(
                text("SELECT id FROM timeseries_by_data_states WHERE timeseries_id = :t"), {"t": filled.ts[0]}
            )
            await connection.execute(
                text("UPDATE timeseries_data SET value = value + 1 WHERE series_id = :s"), {"s": series}
            )
            await connection.execute(
                text(
                    "INSERT INTO timeseries_data_dirty (series_id, lo, hi)"
                    " VALUES (:s, '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z')"
                ),
                {"s": series},
            )
            after = await numeric.bucketed(connection, caller, selection, grid, Aggregation.SUM)
            counts = await numeric.bucketed(connection, caller, selection, grid, Aggregation.COUNT)
            await connection.rollback()
        shifted = [
            None if value is None else value + count
            for value, count in zip(before.values[filled.ts[0]], counts.values[filled.ts[0]], strict=True)
        ]
        assert after.values[filled.ts[0]] == pytest.approx(shifted)
        assert after.values != before.values


class TestBucketedChecks:
    async def test_errors_are_the_routes_errors(self, engine, filled):
        grid = numeric.Bucketing(_at(START), _at(END))
        user = _caller(filled.user)
        calendar_width_2 = numeric.Bucketing(_at(START), _at(END), 2, BucketUnit.DAY)
        cases: list[tuple[Selection, type[Exception], numeric.Bucketing]] = [
            (Selection([filled.ts[3]], RAW), Forbidden, grid),  # scope 2: not the user's
            (Selection([10**6], RAW), Unprocessable, grid),
            (Selection([filled.ts[0]], 99), Unprocessable, grid),
            (Selection(["Temperature"], RAW, 10**6), NotFound, grid),
            (Selection([filled.ts[0]], CLEAN), Unprocessable, calendar_width_2),
        ]
        async with engine.connect() as connection:
            for selection, error, asked in cases:
                with pytest.raises(error):
                    await numeric.bucketed(connection, user, selection, asked)


class TestPoints:
    async def test_points_are_the_raw_answer(self, client, engine, filled):
        ids = [filled.ts[0], filled.ts[2], filled.ts[1]]
        response = await get_data(client, filled.admin, ids, START, END, convert_to=["°F", "", "W"])
        assert response.status_code == 200
        async with engine.connect() as connection:
            found = await numeric.points(
                connection, _caller(filled.admin), Selection(ids, RAW), _at(START), _at(END),
                convert_to=["°F", "", "W"],
            )  # fmt: skip
        assert list(found) == ids
        as_answer = {
            str(key): {
                moment.isoformat(): value for moment, value in zip(p.timestamps, p.values, strict=True)
            }
            for key, p in found.items()
            if p.values
        }
        assert as_answer == response.json()
        assert found[filled.ts[2]] == numeric.Points([], [])
        assert len(found[filled.ts[0]].values) == len(POINTS)

    async def test_by_name(self, engine, filled):
        async with engine.connect() as connection:
            found = await numeric.points(
                connection,
                _caller(filled.user),
                Selection([NAMES[1]], RAW, filled.campaign),
                _at(START),
                _at(END),
            )
        assert found[NAMES[1]].values == [10.0, 20.0]


class TestStats:
    async def test_stats_are_the_stats_answer(self, client, engine, filled):
        names = [NAMES[2], NAMES[0], NAMES[1]]
        response = await get_stats(client, filled.user, names, campaign=filled.campaign)
        assert response.status_code == 200
        async with engine.connect() as connection:
            found = await numeric.stats(
                connection, _caller(filled.user), Selection(names, RAW, filled.campaign)
            )
        assert list(found) == names
        as_answer = {
            key: {
                "first_timestamp": None if item.first is None else item.first.isoformat(),
                "last_timestamp": None if item.last is None else item.last.isoformat(),
                "count": item.count,
                "min": item.min,
                "max": item.max,
                "avg": item.avg,
                "stddev": item.stddev,
            }
            for key, item in found.items()
        }
        assert as_answer == response.json()["stats"]
        assert found[NAMES[0]].count == len(POINTS) and found[NAMES[2]].count == 0


class TestPythonWrites:
    async def test_written_points_read_back_as_numbers(self, engine, world):
        moments = [datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=10 * i) for i in range(1500)]
        document = {world.ts[0]: {moment: float(i) for i, moment in enumerate(moments)}}
        small = {world.ts[1]: {moments[0]: 1.0, moments[1]: None}}
        caller = _caller(world.admin)
        async with engine.begin() as connection:
            await ingest.write(connection, caller, python_points(document), RAW)  # COPY
            await ingest.write(connection, caller, python_points(small), RAW)  # one statement
            await ingest.write(
                connection,
                caller,
                python_points({NAMES[2]: {moments[0]: 5.0}}),
                RAW,
                campaign_id=world.campaign,
            )
        async with engine.connect() as connection:
            selection = Selection([world.ts[0], world.ts[1], world.ts[2]], RAW)
            found = await numeric.points(
                connection, caller, selection, moments[0], moments[-1] + timedelta(1)
            )
            hourly = await numeric.bucketed(
                connection, caller, selection, numeric.Bucketing(moments[0], moments[6]), Aggregation.SUM
            )
        assert found[world.ts[0]] == numeric.Points(moments, [float(i) for i in range(1500)])
        assert found[world.ts[1]].values == [1.0] and found[world.ts[2]].values == [5.0]
        assert hourly.values[world.ts[0]] == [15.0]

    async def test_a_naive_datetime_is_refused(self, engine, world):
        async with engine.connect() as connection:
            with pytest.raises(Unprocessable, match="TZ-naive"):
                await ingest.write(
                    connection,
                    _caller(world.admin),
                    python_points({world.ts[0]: {datetime(2020, 1, 1): 1.0}}),
                    RAW,
                )
