"""Writing and deleting points, set-based, in the request's transaction.

Writes: small batches go in one INSERT ... SELECT FROM unnest(...). Larger ones are COPY'd in
binary: straight into the table when no stored point of those series lies in the incoming span
(new data, the common bulk case), else into a per-connection staging table and merged from
there. Existing values win unless `overwrite`; within one request, the first value posted for an
instant wins (the last one with `overwrite`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bemserver.timeseries_data import rollups
from bemserver.timeseries_data.ingest import Batch

SMALL_BATCH = 1000  # points; below, one INSERT beats COPY and its checks

_INSTANT = "timestamptz '2000-01-01 00:00:00+00' + {} * interval '1 microsecond'"

_INSERT_ARRAYS = f"""
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT s, {_INSTANT.format("u")}, v
FROM unnest(CAST(:s AS int[]), CAST(:u AS int8[]), CAST(:v AS float8[])) AS r(s, u, v)
"""

_ANY_STORED = f"""
SELECT EXISTS (
    SELECT 1 FROM unnest(CAST(:s AS int[]), CAST(:lo AS int8[]), CAST(:hi AS int8[])) AS r(s, lo, hi)
    WHERE EXISTS (
        SELECT 1 FROM timeseries_data d WHERE d.series_id = r.s
        AND d.timestamp BETWEEN {_INSTANT.format("r.lo")} AND {_INSTANT.format("r.hi")}))
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


async def _driver(connection: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


async def _insert_small(connection: AsyncConnection, batch: Batch, overwrite: bool) -> None:
    rows = list(batch.tuples())
    if overwrite:  # one row per key, the last posted wins (ON CONFLICT DO UPDATE needs unique keys)
        rows = list({(s, u): (s, u, v) for s, u, v in rows}.values())
    series, micros, values = (list(column) for column in zip(*rows, strict=True))
    statement = _INSERT_ARRAYS + (_OVERWRITE if overwrite else " ON CONFLICT DO NOTHING")
    await connection.execute(text(statement), {"s": series, "u": micros, "v": values})


async def _any_stored(connection: AsyncConnection, batch: Batch) -> bool:
    series = list(batch.spans)
    params = {
        "s": series,
        "lo": [batch.spans[s][0] for s in series],
        "hi": [batch.spans[s][1] for s in series],
    }
    return bool(await connection.scalar(text(_ANY_STORED), params))


async def _copy(driver: psycopg.AsyncConnection[Any], table: str, data: bytes) -> None:
    async with driver.cursor().copy(_COPY.format(table)) as copy:
        await copy.write(data)


async def _copy_new(connection: AsyncConnection, data: bytes) -> bool:
    """COPY straight into the table; False (and nothing written) if a key already exists."""
    driver = await _driver(connection)
    try:
        async with driver.transaction():  # a savepoint: a clash undoes only this COPY
            await _copy(driver, "timeseries_data", data)
    except psycopg.errors.UniqueViolation:
        return False
    return True


async def _merge(connection: AsyncConnection, data: bytes, overwrite: bool) -> None:
    await connection.execute(text(_STAGING))
    await _copy(await _driver(connection), "timeseries_data_staging", data)
    await connection.execute(text(_MERGE_OVERWRITE if overwrite else _MERGE_KEEP))


async def write(session: AsyncSession, batch: Batch, *, overwrite: bool = False) -> None:
    if not batch.count:
        return
    connection = await session.connection()
    if batch.count <= SMALL_BATCH:
        await _insert_small(connection, batch, overwrite)
    else:
        data = batch.copy_data()
        if await _any_stored(connection, batch) or not await _copy_new(connection, data):
            await _merge(connection, data, overwrite)
    await rollups.points_changed(connection, list(batch.spans), *batch.bounds())


async def delete(session: AsyncSession, series_ids: list[int], start: datetime, end: datetime) -> None:
    """Delete the points of these series in [start, end)."""
    if not series_ids or start >= end:
        return
    connection = await session.connection()
    await connection.execute(
        text(
            "DELETE FROM timeseries_data WHERE series_id = ANY(CAST(:s AS int[]))"
            " AND timestamp >= :start AND timestamp < :end"
        ),
        {"s": series_ids, "start": start, "end": end},
    )
    await rollups.points_changed(connection, series_ids, start, end)
