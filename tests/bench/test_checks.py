"""The benchmark's answer checks: a server that returns the documented answer passes, a wrong one does not.

The expected answers are computed here, point by point with zoneinfo, from the reference's semantics
(buckets labelled by their local start, every series present, null for empty buckets)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from tests.bench.modules import load

bench_data = load("bench_data")
bench_checks = load("bench_checks")

IDS = [7, 9]
DAYS = 3  # 2024-01-01 to 2024-01-04: no DST change, but Paris days straddle UTC days


@pytest.fixture
def checks():
    return bench_checks.AnswerChecks(bench_data.Dataset(IDS, DAYS))


def points(data) -> dict[int, list[tuple[dt.datetime, float]]]:
    return {
        series: [
            (dt.datetime.fromisoformat(stamp), value)
            for stamp, value in zip(data.stamps, data.values(i), strict=True)
        ]
        for i, series in enumerate(data.ids)
    }


def aggregate(data, zone: str, floor: Callable[[dt.datetime], dt.datetime], function: Callable) -> bytes:
    answer = {}
    for series, series_points in points(data).items():
        buckets: dict[dt.datetime, list[float]] = defaultdict(list)
        for stamp, value in series_points:
            buckets[floor(stamp.astimezone(ZoneInfo(zone)))].append(value)
        answer[str(series)] = {
            start.isoformat(): function(values) for start, values in sorted(buckets.items())
        }
    return orjson.dumps(answer)


def to_hour(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(minute=0)


def to_quarter(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(minute=stamp.minute // 15 * 15)


def to_day(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(hour=0, minute=0)


def to_month(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(day=1, hour=0, minute=0)


def response(content: bytes | str) -> httpx.Response:
    return httpx.Response(200, content=content.encode() if isinstance(content, str) else content)


def mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


CORRECT = {
    "hour avg UTC": ("hourly", "UTC", to_hour, mean),
    "hour avg Paris": ("hourly", "Europe/Paris", to_hour, mean),
    "15-minute count": ("count", "UTC", to_quarter, len),
    "day sum Paris": ("total", "Europe/Paris", to_day, math.fsum),
    "month max Paris": ("maximum", "Europe/Paris", to_month, max),
}


class TestAggregateChecks:
    @pytest.mark.parametrize("name", CORRECT)
    def test_the_documented_answer_passes(self, checks, name):
        check, zone, floor, function = CORRECT[name]
        assert getattr(checks, check)(response(aggregate(checks.data, zone, floor, function))) == ""

    @pytest.mark.parametrize("name", CORRECT)
    def test_a_missing_series_fails(self, checks, name):
        check, zone, floor, function = CORRECT[name]
        answer = orjson.loads(aggregate(checks.data, zone, floor, function))
        del answer[str(IDS[1])]
        assert getattr(checks, check)(response(orjson.dumps(answer))).startswith("wrong")

    def test_a_wrong_average_fails(self, checks):
        answer = orjson.loads(aggregate(checks.data, "UTC", to_hour, mean))
        first = next(iter(answer[str(IDS[0])]))
        answer[str(IDS[0])][first] += 1
        assert checks.hourly(response(orjson.dumps(answer))).startswith("wrong")

    def test_empty_buckets_are_ignored(self, checks):
        answer = orjson.loads(aggregate(checks.data, "Europe/Paris", to_day, math.fsum))
        answer[str(IDS[0])]["2023-12-31T00:00:00+01:00"] = None
        assert checks.total(response(orjson.dumps(answer))) == ""

    def test_a_count_missing_a_point_fails(self, checks):
        answer = orjson.loads(aggregate(checks.data, "UTC", to_quarter, len))
        first = next(iter(answer[str(IDS[0])]))
        answer[str(IDS[0])][first] -= 1
        assert checks.count(response(orjson.dumps(answer))).startswith("wrong")


class TestRawChecks:
    def raw_json(self, data) -> dict[str, dict[str, float]]:
        return {
            str(series): {stamp.isoformat(): value for stamp, value in series_points}
            for series, series_points in points(data).items()
        }

    def raw_csv(self, data) -> str:
        rows = [f"Datetime,{IDS[0]},{IDS[1]}"]
        for k, stamp in enumerate(data.stamps):
            moment = dt.datetime.fromisoformat(stamp).strftime("%Y-%m-%dT%H:%M:%S%z")
            rows.append(f"{moment},{data.values(0)[k]},{data.values(1)[k]}")
        return "\n".join(rows) + "\n"

    def test_every_point_in_json_passes(self, checks):
        assert checks.raw_json(response(orjson.dumps(self.raw_json(checks.data)))) == ""

    def test_a_missing_json_point_fails(self, checks):
        answer = self.raw_json(checks.data)
        answer[str(IDS[1])].popitem()
        assert checks.raw_json(response(orjson.dumps(answer))).startswith("wrong")

    def test_every_row_in_csv_passes(self, checks):
        assert checks.raw_csv(response(self.raw_csv(checks.data))) == ""

    def test_an_empty_csv_cell_fails(self, checks):
        text = self.raw_csv(checks.data).replace(f",{checks.data.values(1)[0]}\n", ",\n", 1)
        assert checks.raw_csv(response(text)).startswith("wrong")

    def test_a_missing_csv_row_fails(self, checks):
        text = self.raw_csv(checks.data)
        assert checks.raw_csv(response(text[: text.rindex("\n", 0, -1) + 1])).startswith("wrong")


class TestStatsCheck:
    def stats(self, data, count_offset: int = 0) -> bytes:
        answer = {}
        for i, series in enumerate(data.ids):
            values = data.values(i)
            answer[str(series)] = {
                "count": len(values) + count_offset,
                "min": min(values),
                "max": max(values),
            }
        return orjson.dumps({"stats": answer})

    def test_the_documented_answer_passes(self, checks):
        assert checks.stats(response(self.stats(checks.data))) == ""

    def test_a_short_count_fails(self, checks):
        assert checks.stats(response(self.stats(checks.data, -1))).startswith("wrong")


class TestRequestBodies:
    def written(self, bodies, parse) -> dict[tuple[str, str], float]:
        seen: dict[tuple[str, str], float] = {}
        for body, count in bodies:
            points = parse(body)
            assert len(points) == count
            seen |= points
        return seen

    def expected(self, data) -> dict[tuple[str, str], float]:
        return {
            (str(series), stamp): value
            for i, series in enumerate(data.ids)
            for stamp, value in zip(data.stamps, data.values(i), strict=True)
        }

    def test_json_bodies_hold_every_point_once_within_the_chunk(self, checks):
        bodies = bench_data.json_bodies(checks.data, [0, 1], 100)
        assert max(count for _, count in bodies) <= 100
        parse = lambda body: {  # noqa: E731
            (series, stamp): value
            for series, values in orjson.loads(body).items()
            for stamp, value in values.items()
        }
        assert self.written(bodies, parse) == self.expected(checks.data)

    def test_csv_bodies_hold_every_point_once_within_the_chunk(self, checks):
        bodies = bench_data.csv_bodies(checks.data, [0, 1], 100)
        assert max(count for _, count in bodies) <= 100

        def parse(body: bytes) -> dict[tuple[str, str], float]:
            header, *rows = body.decode().splitlines()
            names = header.split(",")[1:]
            assert header.startswith("Datetime,")
            return {
                (name, row.split(",")[0]): float(cell)
                for row in rows
                for name, cell in zip(names, row.split(",")[1:], strict=True)
            }

        assert self.written(bodies, parse) == self.expected(checks.data)
