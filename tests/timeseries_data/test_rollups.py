"""Rollups stay exact: after inserts, ignored re-inserts, overwrites and deletes, in any order and
with refreshes in between or not, every rollup cell holds what the points say."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import text

from tests.timeseries_data import aggregate_model
from tests.timeseries_data.aggregate_helpers import get_aggregate, get_stats, refresh, rollup_rows, series_of
from tests.timeseries_data.conftest import delete_data, post_json, stored
from tests.timeseries_data.test_aggregate_properties import drawn

EXAMPLES = int(os.environ.get("BEMSERVER_ROLLUP_EXAMPLES", "25"))
ORIGIN = datetime(2020, 3, 28, 22, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LEVELS = {"timeseries_data_quarters": 900, "timeseries_data_hours": 3600, "timeseries_data_days": 86400}
VALUES = st.one_of(
    st.integers(-50, 50).map(float),
    st.floats(-1e3, 1e3).map(lambda v: round(v, 2)),
    st.sampled_from([0.1, 1 / 3, 1e-9, 2e15, -0.0]),
)
MOMENTS = st.integers(0, 3 * 24 * 60).map(lambda m: ORIGIN + timedelta(minutes=m))


@st.composite
def operations(draw: Any) -> list[tuple[str, Any]]:
    """A sequence of ('insert' | 'overwrite', {moment: value}), ('delete', (start, end)), ('read', None)."""
    sequence = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "insert", "overwrite", "delete", "read"]))
        if kind in ("insert", "overwrite"):
            sequence.append((kind, draw(st.dictionaries(MOMENTS, VALUES, max_size=60))))
        elif kind == "delete":
            first, second = sorted(draw(st.tuples(MOMENTS, MOMENTS)))
            sequence.append((kind, (first, second)))
        else:
            sequence.append((kind, None))
    return sequence


def cells(points: dict[datetime, float], seconds: int) -> dict[str, dict[str, Any]]:
    grouped: dict[datetime, list[float]] = defaultdict(list)
    for moment, value in sorted(points.items()):
        start = moment - (moment - EPOCH) % timedelta(seconds=seconds)
        grouped[start].append(value)
    expected = {}
    for start, values in grouped.items():
        total = aggregate_model.exact_sum(values)
        expected[start.isoformat()] = {
            "count": len(values),
            "sum": total.normalize(),
            "fsum": aggregate_model.to_float(total),
            "min": min(values),
            "max": max(values),
        }
    return expected


def exact_micros(value: float) -> bool:
    return abs(value) < 1e9 and round(value * 1e6) / 1e6 == value


def assert_m2(row: dict[str, Any], values: list[float]) -> None:
    """m2 is the sum of squared deviations when every value is a whole number of millionths."""
    if not all(exact_micros(v) for v in values):
        assert row["m2"] is None
        return
    mean = aggregate_model.exact_sum(values) / len(values)
    expected = float(sum((Decimal(repr(v)) - mean) ** 2 for v in values))
    assert math.isclose(row["m2"], expected, rel_tol=1e-9, abs_tol=1e-9)


async def test_rollups_hold_what_the_points_say(client, world, engine):
    series_id = world.ts[0]
    for sequence in drawn(operations(), EXAMPLES):
        await delete_data(client, world.admin, [series_id], "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z")
        expected: dict[datetime, float] = {}
        for kind, argument in sequence:
            if kind == "read":
                await get_aggregate(
                    client, world.admin, [series_id], "2020-03-28T00:00:00Z", "2020-04-02T00:00:00Z"
                )
            elif kind == "delete":
                start, end = argument
                await delete_data(client, world.admin, [series_id], start.isoformat(), end.isoformat())
                expected = {m: v for m, v in expected.items() if not start <= m < end}
            elif argument:
                body = {str(series_id): {m.isoformat(): v for m, v in argument.items()}}
                overwrite = {"overwrite": "true"} if kind == "overwrite" else {}
                assert (await post_json(client, world.admin, body, **overwrite)).status_code == 201
                for moment, value in argument.items():
                    if kind == "overwrite" or moment not in expected:
                        expected[moment] = value
        assert await stored(engine, series_id) == {m.isoformat(): v for m, v in sorted(expected.items())}
        stored_series = await series_of(engine, series_id)
        if stored_series is None:
            continue
        await refresh(engine, stored_series)
        for table, seconds in LEVELS.items():
            rows = await rollup_rows(engine, table, stored_series)
            wanted = cells(expected, seconds)
            assert {k: {f: v for f, v in row.items() if f != "m2"} for k, row in rows.items()} == wanted, (
                table,
                sequence,
            )
            if table != "timeseries_data_hours":
                for start, row in rows.items():
                    low = datetime.fromisoformat(start)
                    high = low + timedelta(seconds=seconds)
                    assert_m2(row, [v for m, v in expected.items() if low <= m < high])


async def test_a_refresh_without_changes_does_nothing(client, world, engine):
    await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.0}})
    series_id = await series_of(engine, world.ts[0])
    await refresh(engine, series_id)
    before = await rollup_rows(engine, "timeseries_data_quarters", series_id)
    await refresh(engine, series_id)
    assert await rollup_rows(engine, "timeseries_data_quarters", series_id) == before


async def test_writes_only_note_the_spans_they_change(client, world, engine):
    await post_json(
        client,
        world.admin,
        {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.0, "2020-01-03T00:00:00Z": 2.0}},
    )
    async with engine.connect() as c:
        spans = (await c.execute(text("SELECT lo, hi FROM timeseries_data_dirty"))).all()
        cells_made = await c.scalar(text("SELECT count(*) FROM timeseries_data_quarters"))
    assert cells_made == 0
    assert [(lo.isoformat(), hi.isoformat()) for lo, hi in spans] == [
        ("2020-01-01T00:00:00+00:00", "2020-01-03T00:00:00.000001+00:00")
    ]


async def test_a_reader_claims_the_spans_of_the_series_it_reads_only(client, world, engine):
    body = {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.0}, str(world.ts[1]): {"2020-01-01T00:00:00Z": 2.0}}
    await post_json(client, world.admin, body)
    await get_stats(client, world.admin, [world.ts[0]])
    async with engine.connect() as c:
        left = (await c.execute(text("SELECT series_id FROM timeseries_data_dirty"))).scalars().all()
    assert left == [await series_of(engine, world.ts[1])]
