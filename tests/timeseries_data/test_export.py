"""The raw export's windows: cut points, ordering across windows, and stopping early."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from bemserver.timeseries_data import export
from bemserver.timeseries_data.export import csv_chunks, json_chunks, streamed
from bemserver.timeseries_data.selection import SeriesColumn

START = datetime(2020, 1, 1, tzinfo=UTC)
END = datetime(2021, 1, 1, tzinfo=UTC)


async def _series(engine, world, points: int, step_minutes: int = 1, position: int = 0) -> int:
    async with engine.begin() as connection:
        series = (
            await connection.execute(
                text(
                    "INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id) VALUES (:ts, 1)"
                    " RETURNING id"
                ),
                {"ts": world.ts[position]},
            )
        ).scalar_one()
        await connection.execute(
            text(
                "INSERT INTO timeseries_data SELECT :s, :start + i * :step * interval '1 minute', i"
                " FROM generate_series(0, :n - 1) AS i"
            ),
            {"s": series, "start": START, "step": step_minutes, "n": points},
        )
    return int(series)


class TestWindows:
    async def test_json_across_many_windows_and_series_is_whole_and_ordered(self, engine, world, monkeypatch):
        monkeypatch.setattr(export, "CHUNK", 7)
        first = await _series(engine, world, 50)
        second = await _series(engine, world, 20, step_minutes=3, position=1)
        columns = [SeriesColumn("b", second), SeriesColumn("a", first), SeriesColumn("none", None)]
        body = b"".join([chunk async for chunk in json_chunks(engine, columns, START, END, "UTC")])
        data = json.loads(body)
        assert list(data) == ["b", "a"]
        assert list(data["a"].values()) == [float(i) for i in range(50)]
        assert list(data["b"]) == [(START + timedelta(minutes=3 * i)).isoformat() for i in range(20)]

    async def test_csv_windows_cut_at_every_series_points(self, engine, world, monkeypatch):
        monkeypatch.setattr(export, "CHUNK", 4)
        first = await _series(engine, world, 30)
        second = await _series(engine, world, 10, step_minutes=3, position=1)
        columns = [SeriesColumn("a", first), SeriesColumn("b", second)]
        body = b"".join([chunk async for chunk in csv_chunks(engine, columns, START, END, "UTC")]).decode()
        lines = body.splitlines()
        assert lines[0] == "Datetime,a,b"
        assert len(lines) == 31
        assert lines[1] == "2020-01-01T00:00:00+0000,0.0,0.0"
        assert lines[2] == "2020-01-01T00:01:00+0000,1.0,"
        assert lines[28] == "2020-01-01T00:27:00+0000,27.0,9.0"
        assert lines[30] == "2020-01-01T00:29:00+0000,29.0,"


class TestStoppingEarly:
    async def test_a_client_gone_mid_answer_frees_the_connections(self, engine, world, monkeypatch):
        monkeypatch.setattr(export, "CHUNK", 100)
        series = await _series(engine, world, 5000)
        chunks = await streamed(json_chunks(engine, [SeriesColumn("a", series)], START, END, "UTC"))
        assert (await anext(chunks)).startswith(b'{"a":{')
        await chunks.aclose()
        await asyncio.sleep(0.2)
        assert engine.pool.checkedout() == 0


class TestBusyPool:
    """The second connection of an export may not come (a busy pool): the first does all the work."""

    class _Engine:
        def __init__(self, engine, free: int) -> None:
            self.engine, self.free = engine, free

        def connect(self):
            if self.free:
                self.free -= 1
                return self.engine.connect()

            return TestBusyPool._Busy()

    class _Busy:  # as AsyncEngine.connect() when the pool has no connection free in time
        async def __aenter__(self):
            raise SQLAlchemyTimeout("no connection free in time")

        async def __aexit__(self, *_):
            return False

    JOBS = [(text(f"SELECT 'window {i}'"), {}) for i in range(7)]

    async def _all(self, engine) -> list:
        async with contextlib.aclosing(export._rendered(engine, "UTC", self.JOBS)) as rendered:
            return [value async for value in rendered]

    async def test_one_connection_renders_every_window(self, engine):
        assert await self._all(self._Engine(engine, free=1)) == [f"window {i}" for i in range(7)]

    async def test_no_connection_at_all_is_an_error(self, engine):
        with pytest.raises(SQLAlchemyTimeout):
            await self._all(self._Engine(engine, free=0))
