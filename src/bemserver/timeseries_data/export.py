"""Raw reads streamed in chunks: PostgreSQL renders the JSON / CSV text, Python forwards it.

Each chunk is one query returning one row (the text of up to CHUNK_POINTS points, the last
timestamp, the count); the next chunk starts just after that timestamp (keyset paging on the
primary key), so memory stays bounded whatever the answer's size. Reads run on their own
connection, opened when the response starts streaming: the request's session has already
checked the permissions and is closed by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bemserver.timeseries_data.formats import (
    csv_header,
    json_key,
    sql_csv_timestamp,
    sql_json_timestamp,
    sql_number,
)

CHUNK_POINTS = 20_000
CHUNK_ROWS = 10_000  # CSV lines, about
_NEXT = timedelta(microseconds=1)  # the storage precision: "after t" is ">= t + 1 µs"


@dataclass(frozen=True, slots=True)
class Column:
    """One requested timeseries: its label, its stored series (None: never written in that data
    state) and the linear conversion of its values (value * scale + offset)."""

    label: str
    series_id: int | None
    scale: float = 1.0
    offset: float = 0.0

    @property
    def converted(self) -> bool:
        return (self.scale, self.offset) != (1.0, 0.0)


def _value(column: Column, position: int) -> str:
    if not column.converted:
        return "value"
    return f"(value * CAST(:scale{position} AS float8) + CAST(:offset{position} AS float8))"


def _value_params(column: Column, position: int) -> dict[str, Any]:
    if not column.converted:
        return {}
    # The largest |value| whose conversion stays a finite float8.
    limit = (sys.float_info.max - abs(column.offset)) / max(abs(column.scale), 1.0)
    return {f"scale{position}": column.scale, f"offset{position}": column.offset, f"limit{position}": limit}


async def _begin(connection: AsyncConnection, timezone: str, *, hash_groups: bool = False) -> None:
    # Local to this read-only transaction. Each chunk must walk the primary key in order and stop
    # after its LIMIT / OFFSET: with stale statistics (a big load not yet analyzed) the planner
    # would rather sort the whole remaining range for every chunk, so plan sorts are off.
    await connection.execute(
        text(
            "SELECT set_config('TimeZone', :tz, true), set_config('DateStyle', 'ISO', true),"
            " set_config('enable_sort', 'off', true), set_config('enable_hashagg', :hash, true),"
            " set_config('max_parallel_workers_per_gather', '0', true)"
        ),
        {"tz": timezone, "hash": "on" if hash_groups else "off"},
    )


def _json_query(column: Column) -> str:
    # A converted value could overflow float8 (an error in PostgreSQL): such points are left out.
    value = _value(column, 0)
    finite = " AND abs(value) <= CAST(:limit0 AS float8)" if column.converted else ""
    line = f"""'"' || {sql_json_timestamp("timestamp", "x")} || '":' || {sql_number("v")}"""
    return f"""
        SELECT string_agg({line}, ',' ORDER BY timestamp), max(timestamp), count(*)
        FROM (
            SELECT timestamp, timestamp::text AS x, {value} AS v FROM timeseries_data
            WHERE series_id = :series AND timestamp >= :low AND timestamp < :end{finite}
            ORDER BY timestamp LIMIT {CHUNK_POINTS}
        ) AS chunk
    """


async def json_chunks(
    engine: AsyncEngine, columns: list[Column], start: datetime, end: datetime, timezone: str
) -> AsyncIterator[bytes]:
    """{"<label>": {"<timestamp>": value, ...}, ...} in column order; series without points left out."""
    written = 0
    async with engine.connect() as connection:
        await _begin(connection, timezone)
        for column in columns:
            if column.series_id is None or start >= end:
                continue
            query = text(_json_query(column))
            params = {"series": column.series_id, "end": end, **_value_params(column, 0)}
            low, opened = start, False
            while True:
                body, last, count = (await connection.execute(query, {**params, "low": low})).one()
                if body:
                    head = ("{" if not written else ",") + json_key(column.label) + ":{"
                    yield ((head if not opened else ",") + body).encode()
                    opened, written = True, written + 1
                if count < CHUNK_POINTS:
                    break
                low = last + _NEXT
            if opened:
                yield b"}"
    yield b"}" if written else b"{}"


def _csv_query(columns: list[Column]) -> str:
    """One chunk: the timestamps in [low, high), where high is the earliest CHUNK_ROWS-th point at
    or after low among the series: each series has fewer than CHUNK_ROWS points in the chunk (the
    answer's memory stays bounded) and, unless the data ends, the chunk has at least CHUNK_ROWS - 1
    lines. Grouped by hashing; the lines are ordered by string_agg itself."""
    stored = [(position, column) for position, column in enumerate(columns) if column.series_id is not None]
    nth = " UNION ALL ".join(
        f"(SELECT timestamp FROM timeseries_data WHERE series_id = :series{position}"
        f" AND timestamp >= :low AND timestamp < :end ORDER BY timestamp OFFSET {CHUNK_ROWS - 1} LIMIT 1)"
        for position, _ in stored
    )
    branches = " UNION ALL ".join(
        f"SELECT {position} AS k, timestamp, {_value(column, position)} AS v FROM timeseries_data"
        f" WHERE series_id = :series{position} AND timestamp >= :low AND timestamp < (SELECT high FROM bound)"
        + (f" AND abs(value) <= CAST(:limit{position} AS float8)" if column.converted else "")
        for position, column in stored
    )
    cells = ", ".join(f"max(v) FILTER (WHERE k = {position}) AS c{position}" for position, _ in stored)
    line = " || ',' || ".join(
        [sql_csv_timestamp("timestamp", "x")]
        + [
            f"coalesce({sql_number(f'c{position}')}, '')" if column.series_id is not None else "''"
            for position, column in enumerate(columns)
        ]
    )
    return f"""
        WITH bound AS (
            SELECT coalesce(min(timestamp), CAST(:end AS timestamptz)) AS high FROM ({nth}) AS nth
        )
        SELECT string_agg({line}, E'\n' ORDER BY timestamp), (SELECT high FROM bound)
        FROM (
            SELECT *, timestamp::text AS x FROM (
                SELECT timestamp, {cells} FROM ({branches}) AS points GROUP BY timestamp
            ) AS grouped
        ) AS chunk
    """


async def csv_chunks(
    engine: AsyncEngine, columns: list[Column], start: datetime, end: datetime, timezone: str
) -> AsyncIterator[bytes]:
    """'Datetime,<labels>' then one line per timestamp of the union, empty cell = no value."""
    header = csv_header([column.label for column in columns])
    if start >= end or all(column.series_id is None for column in columns):
        yield header.encode()
        return
    query = text(_csv_query(columns))
    params: dict[str, Any] = {"end": end}
    for position, column in enumerate(columns):
        if column.series_id is not None:
            params[f"series{position}"] = column.series_id
            params.update(_value_params(column, position))
    async with engine.connect() as connection:
        await _begin(connection, timezone, hash_groups=True)
        low = start
        while True:
            body, high = (await connection.execute(query, {**params, "low": low})).one()
            if body or header:
                yield (header + (body + "\n" if body else "")).encode()
            header = ""
            if high >= end:
                break
            low = high


async def streamed(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Run the first query now, so that its errors are answered as errors before the response
    starts; then, while each chunk is being sent, already fetch the next one."""
    first = await anext(chunks, None)

    async def rest() -> AsyncIterator[bytes]:
        if first is None:
            return
        pending = asyncio.ensure_future(anext(chunks, None))
        try:
            yield first
            while (chunk := await pending) is not None:
                pending = asyncio.ensure_future(anext(chunks, None))
                yield chunk
        finally:
            if not pending.done():  # the client went away mid-answer
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            await chunks.aclose()  # type: ignore[attr-defined]

    return rest()
