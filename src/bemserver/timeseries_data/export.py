"""Raw reads streamed in chunks: PostgreSQL renders the JSON / CSV text, Python forwards it.

One query over the primary key finds every CHUNK-th point of each series; those instants cut the
answer into windows of at most CHUNK points per series (bounded memory), each rendered by one query,
two connections side by side, a few windows ahead. Reads run on their own connections, opened
when the response starts (the request's session has checked the permissions and is closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bemserver.db.engine import Reader
from bemserver.timeseries_data.formats import (
    DEFAULT_DIALECT,
    CsvDialect,
    csv_header,
    json_key,
    sql_json_timestamp,
    sql_number,
)
from bemserver.timeseries_data.selection import SeriesColumn

CHUNK = 10_000  # points of one series in one window
WORKERS = 2  # connections rendering windows at the same time
AHEAD = 4  # windows rendered before their turn to be sent, at most


def _value(column: SeriesColumn, position: int) -> str:
    if not column.converted:
        return "value"
    return f"(value * CAST(:scale{position} AS float8) + CAST(:offset{position} AS float8))"


def _kept(column: SeriesColumn, position: int) -> str:
    # A converted value could overflow float8 (an error in PostgreSQL): such points are left out.
    return f" AND abs(value) <= CAST(:limit{position} AS float8)" if column.converted else ""


def _params(columns: Sequence[SeriesColumn]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for position, column in enumerate(columns):
        params[f"series{position}"] = column.series_id
        if column.converted:
            limit = (sys.float_info.max - abs(column.offset)) / max(abs(column.scale), 1.0)
            params |= {
                f"scale{position}": column.scale,
                f"offset{position}": column.offset,
                f"limit{position}": limit,
            }
    return params


async def _begin(connection: AsyncConnection, timezone: str) -> None:
    # Local to this read-only transaction. Windows must be read by walking the primary key: with
    # stale statistics (a big load not yet analyzed) the planner may prefer to sort, so plan sorts
    # are off (string_agg orders its own input). One process per query: two run side by side.
    await connection.execute(
        text(
            "SELECT set_config('TimeZone', :tz, true), set_config('DateStyle', 'ISO', true),"
            " set_config('enable_sort', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
        ),
        {"tz": timezone},
    )


def _bounds_query(columns: Sequence[SeriesColumn]) -> TextClause:
    """(position, instant) of the 1st, (CHUNK+1)-th, (2·CHUNK+1)-th... point of each series."""
    branches = " UNION ALL ".join(
        f"SELECT {position} AS k, timestamp FROM ("
        f"SELECT timestamp, row_number() OVER (ORDER BY timestamp) AS n FROM timeseries_data"
        f" WHERE series_id = :series{position} AND timestamp >= :start AND timestamp < :end"
        f"{_kept(column, position)}) AS numbered WHERE n % {CHUNK} = 1"
        for position, column in enumerate(columns)
    )
    return text(branches)


async def _bounds(
    connection: AsyncConnection, columns: Sequence[SeriesColumn], params: dict[str, Any]
) -> dict[int, list[datetime]]:
    """Per column position (stored series only), the ascending instants that open its windows."""
    stored = [(position, column) for position, column in enumerate(columns) if column.series_id is not None]
    if not stored:
        return {}
    picked = [column for _, column in stored]
    query = _bounds_query(picked)
    renamed = _params(picked) | {"start": params["start"], "end": params["end"]}
    found: dict[int, list[datetime]] = {}
    for k, moment in await connection.execute(query, renamed):
        found.setdefault(stored[k][0], []).append(moment)
    for moments in found.values():
        moments.sort()
    return found


def _windows(opening: list[datetime], end: datetime) -> list[tuple[datetime, datetime]]:
    return list(zip(opening, [*opening[1:], end], strict=False))


Job = tuple[TextClause, dict[str, Any]]


async def _rendered(engine: AsyncEngine, timezone: str, jobs: list[Job]) -> AsyncIterator[str | None]:
    """The first column of each job's single row, in job order, computed by up to WORKERS
    connections at most AHEAD jobs in advance."""
    loop = asyncio.get_running_loop()
    results: list[asyncio.Future[str | None]] = [loop.create_future() for _ in jobs]
    done: asyncio.Future[str | None] = loop.create_future()
    done.set_result(None)
    slots = asyncio.Semaphore(AHEAD)
    taken = 0
    trying, connected = min(WORKERS, len(jobs)), 0  # workers waiting for a connection, and with one

    async def work() -> None:
        nonlocal taken, trying, connected
        try:
            async with engine.connect() as connection:
                trying, connected = trying - 1, connected + 1
                await _begin(connection, timezone)
                while True:
                    await slots.acquire()
                    if taken >= len(jobs):
                        slots.release()
                        return
                    index, taken = taken, taken + 1
                    query, params = jobs[index]
                    results[index].set_result((await connection.execute(query, params)).scalar())
        except asyncio.CancelledError:
            raise
        except SQLAlchemyTimeout as exc:
            # No connection free in time (a busy pool): the answer may have started, so the
            # workers that got one do this one's share; only if none did does it fail.
            trying -= 1
            if not (trying or connected):
                _fail(exc)
        except Exception as exc:
            _fail(exc)

    def _fail(exc: Exception) -> None:  # handed to the reader, in order
        for result in results:
            if not result.done():
                result.set_exception(exc)

    workers = [asyncio.create_task(work()) for _ in range(min(WORKERS, len(jobs)))]
    try:
        for index, result in enumerate(results):
            value = await result
            results[index] = done  # let the text go once sent: memory holds AHEAD windows, not all
            slots.release()
            yield value
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for result in results:  # mark failures as seen: the first one was raised already
            if result.done() and not result.cancelled():
                result.exception()


def _json_window(column: SeriesColumn, position: int) -> TextClause:
    line = f"""'"' || {sql_json_timestamp("timestamp", "x")} || '":' || {sql_number("v")}"""
    return text(
        f"SELECT string_agg({line}, ',' ORDER BY timestamp) FROM ("
        f"SELECT timestamp, timestamp::text AS x, {_value(column, position)} AS v FROM timeseries_data"
        f" WHERE series_id = :series{position} AND timestamp >= :low AND timestamp < :high"
        f"{_kept(column, position)}) AS points"
    )


async def json_chunks(
    engine: AsyncEngine, columns: list[SeriesColumn], start: datetime, end: datetime, timezone: str
) -> AsyncIterator[bytes]:
    """{"<label>": {"<timestamp>": value, ...}, ...} in column order; series without points left out."""
    params = _params(columns) | {"start": start, "end": end}
    if start >= end:
        yield b"{}"
        return
    async with engine.connect() as connection:
        await _begin(connection, timezone)
        opening = await _bounds(connection, columns, params)
    jobs: list[Job] = []
    owners: list[int] = []  # column position of each job
    for position, column in enumerate(columns):
        query = _json_window(column, position)
        for low, high in _windows(opening.get(position, []), end):
            jobs.append((query, params | {"low": low, "high": high}))
            owners.append(position)
    current = None
    # aclosing: a client gone mid-answer stops the rendering connections at once.
    async with contextlib.aclosing(_rendered(engine, timezone, jobs)) as bodies:
        index = 0
        async for body in bodies:
            position, index = owners[index], index + 1
            if body is None:
                continue
            if current == position:
                head = ","
            else:
                head = ("{" if current is None else "},") + json_key(columns[position].label) + ":{"
                current = position
            yield (head + body).encode()
    yield b"{}" if current is None else b"}}"


def _csv_window(columns: Sequence[SeriesColumn], dialect: CsvDialect = DEFAULT_DIALECT) -> TextClause:
    """The lines of the timestamps in [low, high), grouped by hashing, ordered by string_agg."""
    stored = [(position, column) for position, column in enumerate(columns) if column.series_id is not None]
    branches = " UNION ALL ".join(
        f"SELECT {position} AS k, timestamp, {_value(column, position)} AS v FROM timeseries_data"
        f" WHERE series_id = :series{position} AND timestamp >= :low AND timestamp < :high"
        f"{_kept(column, position)}"
        for position, column in stored
    )
    cells = ", ".join(f"max(v) FILTER (WHERE k = {position}) AS c{position}" for position, _ in stored)
    line = f" || {dialect.sql_separator()} || ".join(
        [dialect.sql_timestamp("timestamp", "x")]
        + [
            f"coalesce({dialect.sql_number(sql_number(f'c{position}'))}, '')"
            if column.series_id is not None
            else "''"
            for position, column in enumerate(columns)
        ]
    )
    return text(
        f"SELECT string_agg({line}, E'\\n' ORDER BY timestamp) FROM ("
        f"SELECT *, timestamp::text AS x FROM (SELECT timestamp, {cells} FROM ({branches}) AS points"
        " GROUP BY timestamp) AS grouped) AS lines"
    )


async def csv_chunks(
    engine: AsyncEngine,
    columns: list[SeriesColumn],
    start: datetime,
    end: datetime,
    timezone: str,
    dialect: CsvDialect = DEFAULT_DIALECT,
) -> AsyncIterator[bytes]:
    """'Datetime,<labels>' then one line per timestamp of the union, empty cell = no value (in the
    dialect's separator, decimal mark and timestamp form)."""
    header = csv_header([column.label for column in columns], dialect.separator)
    if start >= end or all(column.series_id is None for column in columns):
        yield header.encode()
        return
    params = _params(columns) | {"start": start, "end": end}
    async with engine.connect() as connection:
        await _begin(connection, timezone)
        opening = await _bounds(connection, columns, params)
    # Every series' windows at once: between two consecutive instants, each series has at most
    # CHUNK points.
    cuts = sorted({moment for moments in opening.values() for moment in moments})
    query = _csv_window(columns, dialect)
    jobs: list[Job] = [(query, params | {"low": low, "high": high}) for low, high in _windows(cuts, end)]
    async with contextlib.aclosing(_rendered(engine, timezone, jobs)) as bodies:
        async for body in bodies:
            if body:
                yield (header + body + "\n").encode()
                header = ""
    if header:
        yield header.encode()


async def column_points(
    connection: Reader, column: SeriesColumn, start: datetime, end: datetime
) -> tuple[list[datetime], list[float]]:
    """The column's points in [start, end) as (timestamps, values), converted as the JSON and CSV
    answers are (points whose converted value would leave the float range are left out)."""
    if column.series_id is None or start >= end:
        return [], []
    query = text(
        f"SELECT timestamp, {_value(column, 0)} AS v FROM timeseries_data"
        " WHERE series_id = :series0 AND timestamp >= :start AND timestamp < :end AND value IS NOT NULL"
        f"{_kept(column, 0)} ORDER BY timestamp"
    )
    rows = (await connection.execute(query, _params([column]) | {"start": start, "end": end})).all()
    return [row[0] for row in rows], [row[1] for row in rows]


async def streamed(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Run the first queries now, so that their errors are answered as errors before the response
    starts; the rest follows as the response is sent."""
    first = await anext(chunks, None)

    async def rest() -> AsyncIterator[bytes]:
        if first is None:
            return
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    return rest()
