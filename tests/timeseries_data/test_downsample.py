"""GET /timeseries_data/?max_points=N (our extension): at most N points per series, the lowest and
highest of each of N/2 equal time columns, in the same JSON shape; absent = every point."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.timeseries_data.conftest import get_data, post_json

START = datetime(2020, 1, 1, tzinfo=UTC)
DAY_END = "2020-01-02T00:00:00+00:00"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


async def _post_minutes(client, world, values: list[float], series: int = 0) -> dict[str, float]:
    body = {_iso(START + timedelta(minutes=i)): value for i, value in enumerate(values)}
    assert (await post_json(client, world.admin, {str(world.ts[series]): body})).status_code == 201
    return body


def _expected(points: dict[str, float], max_points: int, end: datetime) -> dict[str, float]:
    """The model: per column of [START, end) cut in max_points // 2, the first lowest and first highest."""
    if len(points) <= max_points:
        return points
    columns = max_points // 2
    span = (end - START).total_seconds()
    by_column: dict[int, list[tuple[str, float]]] = {}
    for stamp, value in points.items():
        offset = (datetime.fromisoformat(stamp) - START).total_seconds()
        by_column.setdefault(int(offset * columns // span) if offset < span else columns, []).append(
            (stamp, value)
        )
    kept: set[str] = set()
    for members in by_column.values():
        kept.add(min(members, key=lambda item: (item[1], item[0]))[0])
        kept.add(min(members, key=lambda item: (-item[1], item[0]))[0])
    return {stamp: value for stamp, value in points.items() if stamp in kept}


async def test_absent_means_every_point(client, world):
    points = await _post_minutes(client, world, [float(i % 7) for i in range(300)])
    response = await get_data(client, world.admin, [world.ts[0]], end=DAY_END)
    assert response.json() == {str(world.ts[0]): points}


async def test_a_short_series_is_returned_whole(client, world):
    points = await _post_minutes(client, world, [1.0, 5.0, 2.0])
    response = await get_data(client, world.admin, [world.ts[0]], end=DAY_END, max_points=10)
    assert response.json() == {str(world.ts[0]): points}


async def test_peaks_survive_and_the_count_is_bounded(client, world):
    values = [0.0] * 1440
    values[100], values[900] = 50.0, -20.0  # a spike and a trough in a flat day
    await _post_minutes(client, world, values)
    response = await get_data(client, world.admin, [world.ts[0]], end=DAY_END, max_points=20)
    kept = response.json()[str(world.ts[0])]
    assert len(kept) <= 20
    assert 50.0 in kept.values() and -20.0 in kept.values()
    assert list(kept) == sorted(kept)  # in time order


async def test_several_series_and_the_by_name_form(client, world):
    await _post_minutes(client, world, [float(i) for i in range(500)], series=0)
    await _post_minutes(client, world, [float(-i) for i in range(500)], series=1)
    response = await get_data(
        client, world.admin, ["Temperature", "Power, kW"], end=DAY_END, campaign=world.campaign, max_points=50
    )
    answer = response.json()
    assert list(answer) == ["Temperature", "Power, kW"]
    assert all(len(points) <= 50 for points in answer.values())
    assert min(answer["Power, kW"].values()) == -499.0


async def test_a_member_gets_only_readable_series(client, world):
    response = await get_data(client, world.user, [world.ts[3]], end=DAY_END, max_points=10)
    assert response.status_code == 403


@pytest.mark.parametrize("value", ["1", "0", "-5", "100001", "many", ""])
async def test_out_of_range_is_refused(client, world, value):
    response = await get_data(client, world.admin, [world.ts[0]], max_points=value)
    assert response.status_code == 422
    assert "max_points" in response.text


async def test_csv_answers_refuse_it(client, world):
    response = await get_data(client, world.admin, [world.ts[0]], accept="text/csv", max_points=10)
    assert response.status_code == 422


@pytest.mark.parametrize("seed", range(8))
async def test_matches_the_model(client, world, seed):
    shuffle = random.Random(seed)
    values = [float(shuffle.randint(-1000, 1000)) for _ in range(shuffle.randint(1, 400))]
    max_points = shuffle.randint(2, 60)
    points = await _post_minutes(client, world, values)
    response = await get_data(client, world.admin, [world.ts[0]], end=DAY_END, max_points=max_points)
    assert response.json() == {str(world.ts[0]): _expected(points, max_points, START + timedelta(days=1))}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2020-01-01T00:00:00+00:00", "2020-01-02T00:00:00+00:00"),  # seconds as float8
        ("1700-01-01T00:00:00+00:00", "2250-01-01T00:00:00+00:00"),  # whole seconds and µs apart
    ],
)
async def test_microseconds_survive_on_short_and_long_periods(client, world, start, end):
    stamps = [f"2020-01-01T00:00:{second:02d}.{second * 1111:06d}+00:00" for second in range(40)]
    body = {stamp: float((i * 7) % 11) for i, stamp in enumerate(stamps)}
    assert (await post_json(client, world.admin, {str(world.ts[0]): body})).status_code == 201
    response = await get_data(
        client,
        world.admin,
        [world.ts[0]],
        "1700-01-01T00:00:00+00:00",
        "2250-01-01T00:00:00+00:00",
        max_points=4,
    )
    assert response.status_code == 200, response.text
    kept = response.json()[str(world.ts[0])]
    # All in the first column: its lowest (0.0 first at 00:00:00) and highest (10.0 first) points.
    first_high = next(stamp for stamp, value in body.items() if value == 10.0)
    assert kept == {"2020-01-01T00:00:00+00:00": 0.0, first_high: 10.0}
