"""Writing and deleting points, set-based, in the request's transaction.

Writes: small batches go in one INSERT ... SELECT FROM unnest(...). Larger ones are COPY'd in
binary, chunk by chunk while the body is still being parsed, straight into the table (new data,
the common bulk case); if an instant is already stored, that COPY is undone (savepoint) and the
points go through a per-connection staging table merged into the table. Existing values win unless `overwrite`; within one request, the first value posted for an
instant wins (the last one with `overwrite`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bemserver.db.driver import connection_of, driver_of, fetch_one, transaction
from bemserver.db.engine import Reader
from bemserver.db.prepared import Prepared
from bemserver.http.errors import Conflict, Unprocessable
from bemserver.http.fields import is_database_id
from bemserver.timeseries_data import rollups
from bemserver.timeseries_data.ingest import COPY_HEADER, COPY_TRAILER, Batch, instant, row_count, rows_of
from bemserver.timeseries_data.request import check_selected

SMALL_BATCH = 1000  # points; below, one INSERT beats COPY and its checks

_INSERT_ARRAYS = """
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT s, t, v FROM unnest(CAST(:s AS int[]), CAST(:t AS timestamptz[]), CAST(:v AS float8[])) AS r(s, t, v)
"""

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS timeseries_data_staging (
    series_id int NOT NULL,
    timestamp timestamptz NOT NULL,
    value float8 NOT NULL,
    position bigint GENERATED ALWAYS AS IDENTITY
) ON COMMIT DELETE ROWS
"""

_MERGE_KEEP = """
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT series_id, timestamp, value FROM timeseries_data_staging ORDER BY position
ON CONFLICT DO NOTHING
"""

_MERGE_OVERWRITE = """
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT DISTINCT ON (series_id, timestamp) series_id, timestamp, value
FROM timeseries_data_staging ORDER BY series_id, timestamp, position DESC
ON CONFLICT (series_id, timestamp) DO UPDATE SET value = EXCLUDED.value
"""

_COPY = "COPY {} (series_id, timestamp, value) FROM STDIN (FORMAT BINARY)"

_OVERWRITE = " ON CONFLICT (series_id, timestamp) DO UPDATE SET value = EXCLUDED.value"


async def _insert_small(connection: AsyncConnection, chunks: list[bytes], overwrite: bool) -> None:
    rows = list(rows_of(chunks))
    if overwrite:  # one row per key, the last posted wins (ON CONFLICT DO UPDATE needs unique keys)
        rows = list({(s, u): (s, u, v) for s, u, v in rows}.values())
    series, micros, values = (list(column) for column in zip(*rows, strict=True))
    statement = _INSERT_ARRAYS + (_OVERWRITE if overwrite else " ON CONFLICT DO NOTHING")
    instants = [instant(u) for u in micros]
    await connection.execute(text(statement), {"s": series, "t": instants, "v": values})


async def _copy(
    driver: psycopg.AsyncConnection[Any], table: str, first: list[bytes], rest: Iterator[bytes]
) -> None:
    """COPY the chunks already packed, then the others as they get packed; all are kept in `first`."""
    async with driver.cursor().copy(_COPY.format(table)) as copy:
        await copy.write(COPY_HEADER)
        for chunk in first:
            await copy.write(chunk)
        for chunk in rest:
            first.append(chunk)
            await copy.write(chunk)
        await copy.write(COPY_TRAILER)


async def _copy_new(driver: psycopg.AsyncConnection[Any], first: list[bytes], rest: Iterator[bytes]) -> bool:
    """COPY straight into the table; False (and nothing written) if a key already exists."""
    try:
        async with driver.transaction():  # a savepoint: a clash undoes only this COPY
            await _copy(driver, "timeseries_data", first, rest)
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
        # A stored instant, or a concurrent request writing the same instants in another order:
        # undone, the merge below waits for the other request instead.
        first.extend(rest)  # if the COPY stopped early, parse (and check) the rest
        return False
    return True


async def _merge(connection: AsyncConnection, chunks: list[bytes], overwrite: bool) -> None:
    await connection.execute(text(_STAGING))
    await _copy(await driver_of(connection), "timeseries_data_staging", chunks, iter(()))
    await connection.execute(text(_MERGE_OVERWRITE if overwrite else _MERGE_KEEP))


async def write(session: Reader, batch: Batch, *, overwrite: bool = False) -> None:
    """Write every point of the batch, or none (a bad point raises while parsing: the caller's
    transaction is rolled back)."""
    connection = await connection_of(session)
    first: list[bytes] = []
    count = 0
    for chunk in batch.chunks:
        first.append(chunk)
        count += row_count(chunk)
        if count > SMALL_BATCH:
            break
    if count == 0:
        return
    rest = batch.chunks

    async def attempt() -> None:
        nonlocal rest
        if count <= SMALL_BATCH:
            await _insert_small(connection, first, overwrite)
        else:
            # `first` gets every chunk COPY'd: an attempt after a deadlock starts from it
            new_points, rest = await _copy_new(await driver_of(connection), first, rest), iter(())
            if not new_points:  # some instants are stored already: stage everything and merge
                await _merge(connection, first, overwrite)
        await rollups.points_changed(connection, list(batch.spans), *batch.bounds())

    await _retried(connection, attempt)


_RETRY_LATER = {"40P01", "40001"}  # deadlock detected, serialization failure
_ATTEMPTS = 4
_TRY_AGAIN = "Concurrent writes to the same points: please try again"


def _must_retry(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) in _RETRY_LATER


async def _retried(connection: AsyncConnection, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` in a savepoint. Requests writing or deleting the same instants of the same
    series in different orders can deadlock: PostgreSQL aborts one of them, whose savepoint is
    rolled back (releasing its locks: the other request goes on) and `work` runs again, now
    waiting for the other. After _ATTEMPTS, a 409 asking to try again (never a 500)."""
    for _ in range(_ATTEMPTS):
        try:
            async with transaction(connection):
                await work()
            return
        except (DBAPIError, psycopg.Error) as exc:
            if not _must_retry(exc):
                raise
    raise Conflict(_TRY_AGAIN)


_SMALL_WRITE = """
WITH {selected}state AS (SELECT id FROM timeseries_data_states WHERE id = %(ds)s{guard}),
existing AS (
    SELECT timeseries_id, id FROM timeseries_by_data_states
    WHERE data_state_id = (SELECT id FROM state) AND timeseries_id = ANY(%(ts)s::int[]) FOR KEY SHARE
),
created AS (
    INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id)
    SELECT t, state.id FROM unnest(%(ts)s::int[]) AS t CROSS JOIN state
    ON CONFLICT DO NOTHING RETURNING timeseries_id, id
),
series AS (SELECT timeseries_id, id FROM existing UNION ALL SELECT timeseries_id, id FROM created),
written AS (
    INSERT INTO timeseries_data (series_id, timestamp, value)
    SELECT series.id, r.t, r.v
    FROM unnest(%(p)s::int[], %(t)s::timestamptz[], %(v)s::float8[]) WITH ORDINALITY AS r(ts, t, v, o)
    JOIN series ON series.timeseries_id = r.ts ORDER BY r.o
    {conflict}
    RETURNING 1
),
noted AS (
    INSERT INTO timeseries_data_dirty (series_id, lo, hi)
    SELECT id, %(lo)s::timestamptz, %(hi)s::timestamptz FROM series WHERE timeseries_id = ANY(%(changed)s::int[])
)
SELECT EXISTS (SELECT 1 FROM timeseries_data_states WHERE id = %(ds)s) AS found,
    (SELECT count(*) FROM series) AS series{checks}
"""
# With a selection to check, nothing is written unless every wanted timeseries is found and
# allowed, and the points parsed: the statement returns what the caller needs to say why.
_CHECKED = """selected AS ({selection}),
verdict AS (
    SELECT (SELECT count(*) FROM selected) = %(expected)s AND coalesce((SELECT bool_and(allowed) FROM selected), true) AS ok
),
"""
_CHECKS = (
    ", (SELECT array_agg(id) FROM selected) AS ids, (SELECT array_agg(allowed) FROM selected) AS allowed"
)


def _small_write(overwrite: bool, selection: str | None) -> str:
    conflict = _OVERWRITE if overwrite else "ON CONFLICT DO NOTHING"
    if selection is None:
        return _SMALL_WRITE.format(selected="", guard=" AND %(write)s", conflict=conflict, checks="")
    return _SMALL_WRITE.format(
        selected=_CHECKED.format(selection=selection),
        guard=" AND %(write)s AND (SELECT ok FROM verdict)",
        conflict=conflict,
        checks=_CHECKS,
    )


def _array(integers: Iterable[int]) -> str:
    return "{" + ",".join(map(str, integers)) + "}"


@dataclass(frozen=True, slots=True)
class Check:
    """The timeseries a small write must check itself: the prepared selection (request.py), its
    values, and the wanted ids in request order."""

    selection: Prepared
    values: dict[str, Any]
    wanted: list[int]


async def write_small(
    session: Reader,
    batch: Batch,
    timeseries_ids: list[int],
    data_state_id: int,
    *,
    overwrite: bool = False,
    check: Check | None = None,
) -> None:
    """A small write in one statement, plain SQL on the driver connection: the data state
    checked, the series found (locked) or created, the points inserted and their span noted for
    the rollups. Here the batch's rows carry timeseries ids, not series ids.

    With `check`, the same statement selects the timeseries and their permission first. It writes
    only if all is well, and errors come in the order of larger writes: unknown timeseries (422),
    permission (403), unknown data state (422), then a bad point (422)."""
    unknown_state = Unprocessable(errors={"query": {"data_state": "Unknown data state ID"}})
    state_in_range = is_database_id(data_state_id)
    if not state_in_range:
        data_state_id = 0  # no such id: the statement still checks the timeseries
    bad_point: Unprocessable | None = None
    try:
        rows = list(rows_of(list(batch.chunks)))
    except Unprocessable as exc:  # reported after the checks that come first
        bad_point, rows = exc, []
    if overwrite:  # one row per key, the last posted wins (ON CONFLICT DO UPDATE needs unique keys)
        rows = list({(s, u): (s, u, v) for s, u, v in rows}.values())
    lo, hi = batch.bounds() if rows else (None, None)
    # Arrays as PostgreSQL array text: psycopg inspects each list to choose its type otherwise.
    # Floats are finite (checked when parsed) and repr() gives their shortest exact decimal.
    params: dict[str, Any] = {
        "ds": data_state_id,
        "ts": _array(timeseries_ids),
        "p": _array(row[0] for row in rows),
        "t": "{" + ",".join(f'"{instant(row[1]).isoformat()}"' for row in rows) + "}",
        "v": "{" + ",".join(repr(row[2]) for row in rows) + "}",
        "lo": lo,
        "hi": hi,
        "changed": _array(batch.spans if rows else ()),
    }
    params["write"] = bad_point is None and state_in_range
    if check is not None:
        params |= check.values | {"expected": len(check.wanted)}
    statement = _small_write(overwrite, check.selection.sql if check is not None else None)
    for _ in range(_ATTEMPTS):
        try:
            result = await fetch_one(session, statement, params)
        except (DBAPIError, psycopg.Error) as exc:
            if not _must_retry(exc):
                raise
            continue  # aborted to break a deadlock: nothing was written, again
        assert result is not None
        found, series = result[0], result[1]
        if check is not None:
            check_selected(check.wanted, dict(zip(result[2] or (), result[3] or (), strict=True)))
        if not found or not state_in_range:
            raise unknown_state
        if bad_point is not None:
            raise bad_point
        if series == len(set(timeseries_ids)):
            return
        # A concurrent request created a series after this statement's snapshot: again (points
        # already written are skipped, or rewritten with the same values; spans noted twice).
    raise Conflict(_TRY_AGAIN)


async def delete(session: Reader, series_ids: list[int], start: datetime, end: datetime) -> None:
    """Delete the points of these series in [start, end)."""
    if not series_ids or start >= end:
        return
    connection = await connection_of(session)

    async def attempt() -> None:
        await connection.execute(_DELETE, {"s": series_ids, "start": start, "end": end})
        await rollups.points_changed(connection, series_ids, start, end)

    await _retried(connection, attempt)


_DELETE = text(
    "DELETE FROM timeseries_data WHERE series_id = ANY(CAST(:s AS int[]))"
    " AND timestamp >= :start AND timestamp < :end"
)
