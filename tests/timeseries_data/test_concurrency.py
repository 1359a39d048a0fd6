"""Concurrent writers of the same instants: no 500, and no lost or duplicated point.

Another transaction (a plain connection) holds an uncommitted point, the request runs into it,
then that transaction asks for a point the request holds: a deadlock, which PostgreSQL breaks
after deadlock_timeout (1 s) by aborting the transaction that waited first, the request's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import text

from bemserver.http.errors import Conflict
from bemserver.timeseries_data import points
from tests.timeseries_data.conftest import delete_data, post_json, stored

START = datetime(2020, 1, 1, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


async def _series_of(engine, timeseries_id: int) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(
                text(
                    "SELECT id FROM timeseries_by_data_states WHERE timeseries_id = :ts AND data_state_id = 1"
                ),
                {"ts": timeseries_id},
            )
        )


async def _hold(other: psycopg.AsyncConnection, series: int, moment: datetime, value: float) -> None:
    await other.execute("INSERT INTO timeseries_data VALUES (%s, %s, %s)", (series, moment, value))


class TestCrossedWrites:
    async def test_a_small_write_caught_in_a_deadlock_runs_again_and_keeps_the_other_values(
        self, client, world, engine, database_url
    ):
        await post_json(client, world.admin, {str(world.ts[0]): {_at(0).isoformat(): 0.0}})
        series = await _series_of(engine, world.ts[0])
        async with await psycopg.AsyncConnection.connect(database_url) as other:
            await _hold(other, series, _at(1), -1.0)
            body = {
                str(world.ts[0]): {_at(2).isoformat(): 2.0, _at(1).isoformat(): 1.0, _at(3).isoformat(): 3.0}
            }
            request = asyncio.create_task(post_json(client, world.admin, body))
            await asyncio.sleep(0.5)  # the request holds _at(2) and waits for _at(1)
            await _hold(other, series, _at(2), -2.0)  # deadlock: the request's statement is undone
            await other.commit()
            response = await request  # then it runs again, after the other transaction
        assert response.status_code == 201
        points = await stored(engine, world.ts[0])
        assert points == {
            _at(0).isoformat(): 0.0,
            _at(1).isoformat(): -1.0,
            _at(2).isoformat(): -2.0,
            _at(3).isoformat(): 3.0,
        }

    async def test_a_bulk_write_caught_in_a_deadlock_waits_and_keeps_the_other_values(
        self, client, world, engine, database_url
    ):
        await post_json(client, world.admin, {str(world.ts[0]): {_at(-1).isoformat(): 0.0}})
        series = await _series_of(engine, world.ts[0])
        async with await psycopg.AsyncConnection.connect(database_url) as other:
            await _hold(other, series, _at(3000), -1.0)
            body = {str(world.ts[0]): {_at(i).isoformat(): float(i) for i in range(5000)}}
            request = asyncio.create_task(post_json(client, world.admin, body))
            await asyncio.sleep(0.5)  # the request's COPY holds _at(0..2999) and waits for _at(3000)
            await _hold(other, series, _at(10), -2.0)  # deadlock: the request's COPY is undone
            await other.commit()
            response = await request  # then its merge keeps the values committed meanwhile
        assert response.status_code == 201
        points = await stored(engine, world.ts[0])
        assert len(points) == 5001
        assert points[_at(10).isoformat()] == -2.0
        assert points[_at(3000).isoformat()] == -1.0
        assert points[_at(4999).isoformat()] == 4999.0


class TestCrossedDeletes:
    async def test_a_delete_caught_in_a_deadlock_runs_again(self, client, world, engine, database_url):
        stamps = [_at(i).isoformat() for i in range(4)]
        await post_json(client, world.admin, {str(world.ts[0]): dict.fromkeys(stamps, 1.0)})
        series = await _series_of(engine, world.ts[0])
        remove = "DELETE FROM timeseries_data WHERE series_id = %s AND timestamp = %s"
        async with await psycopg.AsyncConnection.connect(database_url) as other:
            await other.execute(remove, (series, _at(2)))
            request = asyncio.create_task(
                delete_data(client, world.admin, [world.ts[0]], stamps[0], _at(10).isoformat())
            )
            await asyncio.sleep(0.5)  # the request deleted _at(0), _at(1) and waits for _at(2)
            await other.execute(remove, (series, _at(1)))  # waits for the request: deadlock
            await other.commit()
            response = await request
        assert response.status_code == 204
        assert await stored(engine, world.ts[0]) == {}


class TestRetriesRunOut:
    async def test_a_409_after_the_last_attempt(self, engine):
        attempts = 0

        async def always_deadlocked() -> None:
            nonlocal attempts
            attempts += 1
            await connection.execute(text("SELECT 1"))
            raise psycopg.errors.DeadlockDetected("deadlock detected")

        async with engine.begin() as connection:
            with pytest.raises(Conflict, match="please try again"):
                await points.retried(connection, always_deadlocked)
            assert await connection.scalar(text("SELECT 2")) == 2  # savepoints undone, still usable
        assert attempts == points.ATTEMPTS > 1

    async def test_other_errors_are_not_retried(self, engine):
        attempts = 0

        async def failing() -> None:
            nonlocal attempts
            attempts += 1
            raise psycopg.errors.UndefinedTable("no such table")

        async with engine.begin() as connection:
            with pytest.raises(psycopg.errors.UndefinedTable):
                await points.retried(connection, failing)
        assert attempts == 1


class _BetweenAttempts:
    """Wraps write_small's prepared statement: after its first run, records the stored points of
    a timeseries and runs `meanwhile` (what another request could do between two attempts)."""

    def __init__(self, shapes, engine, timeseries_id: int, meanwhile: str) -> None:
        self.shapes, self.engine, self.timeseries_id, self.meanwhile = (
            shapes,
            engine,
            timeseries_id,
            meanwhile,
        )
        self.runs = 0
        self.seen: dict[str, float] | None = None

    def get(self, key, build):
        prepared = self.shapes.get(key, build)
        outer = self

        class Spied:
            async def rows(self, target, values):
                found = await prepared.rows(target, values)
                outer.runs += 1
                if outer.runs == 1:
                    outer.seen = await stored(outer.engine, outer.timeseries_id)
                    async with outer.engine.begin() as connection:
                        await connection.execute(text(outer.meanwhile), {"ts": outer.timeseries_id})
                return found

        return Spied()


class TestSeriesCreatedConcurrently:
    """A request whose series another request creates meanwhile: its statement does not see that
    series (created after its snapshot), writes nothing and runs again; the report counts what
    the request did, once."""

    @pytest.mark.parametrize("overwrite", [False, True])
    async def test_a_small_write_runs_again_with_exact_counts(
        self, client, world, engine, database_url, monkeypatch, overwrite
    ):
        ts0, ts1 = world.ts[0], world.ts[1]
        await post_json(client, world.admin, {str(ts0): {_at(0).isoformat(): -1.0, _at(1).isoformat(): -1.0}})
        # Between the attempts another request deletes the point at _at(2): had the first attempt
        # written it, the second would insert it again and count it twice.
        meanwhile = (
            "DELETE FROM timeseries_data WHERE timestamp = '2020-01-01T00:02:00+00:00' AND series_id ="
            " (SELECT id FROM timeseries_by_data_states WHERE timeseries_id = :ts AND data_state_id = 1)"
        )
        spy = _BetweenAttempts(points._SMALL_WRITES, engine, ts0, meanwhile)
        monkeypatch.setattr(points, "_SMALL_WRITES", spy)
        body = {
            str(ts0): {_at(0).isoformat(): 0.0, _at(1).isoformat(): 1.0, _at(2).isoformat(): 2.0},
            str(ts1): {_at(0).isoformat(): 5.0},
        }
        async with await psycopg.AsyncConnection.connect(database_url) as other:
            await other.execute(
                "INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id) VALUES (%s, 1)", (ts1,)
            )
            request = asyncio.create_task(
                post_json(client, world.admin, body, report="true", overwrite=str(overwrite).lower())
            )
            await asyncio.sleep(0.5)  # the request's statement waits for this series' row
            await other.commit()
            response = await request
        assert response.status_code == 201, response.text
        assert spy.runs == 2  # the retry path was taken
        assert spy.seen == {_at(0).isoformat(): -1.0, _at(1).isoformat(): -1.0}  # nothing written first
        kept = 0 if overwrite else 2
        assert response.json() == {
            "inserted": 2,
            "ignored": kept,
            "overwritten": 2 - kept,
            "timeseries": {
                str(ts0): {"inserted": 1, "ignored": kept, "overwritten": 2 - kept},
                str(ts1): {"inserted": 1, "ignored": 0, "overwritten": 0},
            },
        }
        old = -1.0
        assert await stored(engine, ts0) == {
            _at(0).isoformat(): 0.0 if overwrite else old,
            _at(1).isoformat(): 1.0 if overwrite else old,
            _at(2).isoformat(): 2.0,
        }
        assert await stored(engine, ts1) == {_at(0).isoformat(): 5.0}

    async def test_a_bulk_write_looks_again_for_its_series(self, client, world, engine, database_url):
        ts0, ts1 = world.ts[0], world.ts[1]
        body = {str(ts): {_at(i).isoformat(): float(i) for i in range(800)} for ts in (ts0, ts1)}
        async with await psycopg.AsyncConnection.connect(database_url) as other:
            await other.execute(
                "INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id) VALUES (%s, 1)", (ts1,)
            )
            request = asyncio.create_task(post_json(client, world.admin, body, report="true"))
            await asyncio.sleep(0.5)
            await other.execute(  # the other request's points, at the first 100 instants
                "INSERT INTO timeseries_data SELECT currval(pg_get_serial_sequence("
                "'timeseries_by_data_states', 'id')), %s::timestamptz + i * interval '1 minute', -1"
                " FROM generate_series(0, 99) AS i",
                (START,),
            )
            await other.commit()
            response = await request
        assert response.status_code == 201, response.text
        assert response.json()["timeseries"] == {
            str(ts0): {"inserted": 800, "ignored": 0, "overwritten": 0},
            str(ts1): {"inserted": 700, "ignored": 100, "overwritten": 0},
        }
        assert len(await stored(engine, ts1)) == 800
