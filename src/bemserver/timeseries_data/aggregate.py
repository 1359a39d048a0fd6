"""Bucketed aggregates computed and rendered by PostgreSQL, streamed chunk by chunk.

Each aggregate is computed from the bucket's points, never from other aggregates: sum exact
(shortest decimal forms added as numeric, rounded once), avg = that sum / count. So rollups give
the same numbers, and serve whenever their cells tile the grid. PostgreSQL renders the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bemserver.db.engine import Reader
from bemserver.http.errors import Unprocessable
from bemserver.timeseries_data.buckets import (
    FIXED_SECONDS,
    BucketUnit,
    CalendarGrid,
    FixedGrid,
    Grid,
    check_width,
    grid,
    iso_starts,
)
from bemserver.timeseries_data.formats import (
    DEFAULT_DIALECT,
    CsvDialect,
    Format,
    csv_header,
    json_key,
    json_number,
    number_text,
    sql_number,
)
from bemserver.timeseries_data.parallel import side_by_side
from bemserver.timeseries_data.rollups import LEVELS, RollupLevel, refresh
from bemserver.timeseries_data.selection import SeriesColumn

CHUNK_VALUES = 400_000  # buckets x series rendered by one query
MAX_VALUES = 10_000_000  # buckets x timeseries in one answer
MAX_WIDTH_SECONDS = 10**10  # about 317 years: wider buckets would only leave the datetime range
FLOAT_MAX = "1.7976931348623157e308"


class Aggregation(StrEnum):
    AVG = "avg"
    SUM = "sum"
    MIN = "min"
    MAX = "max"
    COUNT = "count"


@dataclass(frozen=True, slots=True)
class Query:
    columns: list[SeriesColumn]
    grid: Grid
    aggregation: Aggregation
    timezone: str


def check_bucket_width(value: int, unit: BucketUnit) -> None:
    """422 for a width that is not 1 for a calendar unit, or beyond MAX_WIDTH_SECONDS."""
    check_width(value, unit)
    if value * FIXED_SECONDS.get(unit, 1) > MAX_WIDTH_SECONDS:
        raise Unprocessable(errors={"query": {"bucket_width_value": ["Bucket width too large."]}})


def bucket_grid(
    start: datetime, end: datetime, timezone: str, value: int, unit: BucketUnit, series: int
) -> Grid:
    """The grid of an answer for `series` timeseries (422 beyond MAX_VALUES values). Calendar
    buckets that all last as long (days and weeks without a DST change, as in UTC) are the same
    grid as a fixed one, which SQL reads without bucket bounds (and straight from the rollups'
    cells when they are the buckets)."""
    made = grid(start, end, timezone, value, unit, MAX_VALUES // max(series, 1))
    if isinstance(made, CalendarGrid) and made.count > 1:
        bounds = made.bounds
        width = bounds[1] - bounds[0]
        if all(bounds[k + 1] - bounds[k] == width for k in range(1, made.count)):
            return FixedGrid(bounds[0], width, made.count)
    return made


def source_level(grid: Grid) -> RollupLevel | None:
    """The coarsest rollup level whose cells tile every bucket of the grid; None: the points."""
    for level in LEVELS:
        if grid.aligned(level.seconds):
            return level
    return None


# Per bucket and series with points: sid, k (bucket index), ord (the order of k), and the sums the
# aggregation needs: n (count), micros + decimals (exact sum, see rollup_models.py), fsum (that sum
# rounded, when stored), lo (min), hi (max)


def _needs_sum(aggregation: Aggregation) -> bool:
    return aggregation in (Aggregation.AVG, Aggregation.SUM)


def _fields(aggregation: Aggregation, sums: tuple[str, ...]) -> str:
    """Only the fields the aggregation needs; NULL for the others."""
    n, micros, decimals, fsum, lo, hi = sums
    summing = _needs_sum(aggregation)
    return ", ".join(
        [
            f"{n} AS n",
            f"{micros if summing else 'NULL::numeric'} AS micros",
            f"{decimals if summing else 'NULL::numeric'} AS decimals",
            f"{fsum if summing else 'NULL::float8'} AS fsum",
            f"{lo if aggregation is Aggregation.MIN else 'NULL::float8'} AS lo",
            f"{hi if aggregation is Aggregation.MAX else 'NULL::float8'} AS hi",
        ]
    )


RAW_SUMS = (
    "count(*)",
    "coalesce(sum(u), 0)",
    "sum(value::text::numeric) FILTER (WHERE u IS NULL)",
    "NULL::float8",
    "min(value)",
    "max(value)",
)
GROUPED_SUMS = ("sum(count)::int8", "sum(micros)", "sum(decimals)", "NULL::float8", "min(min)", "max(max)")
CELL_SUMS = ("count", "micros", "decimals", "fsum", "min", "max")


def _sparse(
    grid: Grid, level: RollupLevel | None, aggregation: Aggregation, series: str, *, many: bool = False
) -> str:
    """SQL of the non-empty buckets in [:lo, :hi) of the stored series given by the :`series`
    parameter; `many`: of each stored series of the :`series` array, with its id as `sid`."""
    where = f"series_id = ANY(CAST(:{series} AS int[]))" if many else f"series_id = CAST(:{series} AS int)"
    sid, by = ("series_id AS sid, ", "series_id, ") if many else ("", "")
    if level is None:
        moment, sums = "timestamp", RAW_SUMS
        micros = "exact_micros(value)" if _needs_sum(aggregation) else "NULL::int8"
        table = (
            f"(SELECT series_id, timestamp, value, {micros} AS u FROM timeseries_data"
            f" WHERE {where} AND timestamp >= :lo AND timestamp < :hi"
            " AND value IS NOT NULL) AS points"
        )
    else:
        moment, sums, table = "start", GROUPED_SUMS, level.table
    rows = f"FROM {table} WHERE {where} AND {moment} >= :lo AND {moment} < :hi"
    if isinstance(grid, CalendarGrid):
        bucket = f"width_bucket({moment}, CAST(:bounds AS timestamptz[])) - 1 + :k0"
        return f"SELECT {sid}{bucket} AS k, {bucket} AS ord, {_fields(aggregation, sums)} {rows} GROUP BY {by}{bucket}"
    index = "(date_part('epoch', {})::int8 - :a) / :w"
    if level is not None and grid.width == timedelta(seconds=level.seconds):
        # Each cell is a bucket: no grouping, and the primary key's order is the buckets'
        return f"SELECT {sid}{index.format('start')} AS k, start AS ord, {_fields(aggregation, CELL_SUMS)} {rows}"
    if level is not None:
        k = index.format("start")
        return f"SELECT {sid}{k} AS k, {k} AS ord, {_fields(aggregation, sums)} {rows} GROUP BY {by}{k}"
    return (
        f"SELECT {'sid, ' if many else ''}{index.format('b')} AS k, b AS ord, n, micros, decimals, fsum, lo, hi FROM ("
        f"SELECT {sid}date_bin(CAST(:width AS interval), timestamp, CAST(:anchor AS timestamptz)) AS b,"
        f" {_fields(aggregation, sums)} {rows} GROUP BY {by}b) AS binned"
    )


def _value(aggregation: Aggregation) -> str:
    """The aggregate (float8, or int8 for count) from n, micros, decimals, fsum, lo, hi."""
    if aggregation is Aggregation.COUNT:
        return "n"
    if aggregation is Aggregation.MIN:
        return "lo"
    if aggregation is Aggregation.MAX:
        return "hi"
    as_float = "coalesce(fsum, rounded_sum(micros, decimals))"
    if aggregation is Aggregation.SUM:
        return as_float
    # avg: the float sum divided by the count; when the sum overflows, the exact quotient rounded
    quotient = "rounded_sum(0, (micros * 0.000001 + coalesce(decimals, 0)) / n)"
    return f"CASE WHEN abs({as_float}) <> 'Infinity' THEN {as_float} / n ELSE {quotient} END"


def value_sql(aggregation: Aggregation) -> str:
    """The SQL of a bucket's aggregate from its cell or grouped sums (n, micros, decimals, fsum, lo, hi)."""
    return _value(aggregation)


def _converted(position: int) -> str:
    """value * scale + offset; NULL where that would leave the float range."""
    sc, of = f"CAST(:sc{position} AS float8)", f"CAST(:of{position} AS float8)"
    return f"CASE WHEN abs(value) <= ({FLOAT_MAX} - abs({of})) / greatest(abs({sc}), 1) THEN value * {sc} + {of} END"


def _number(column: str, fmt: Format) -> str:
    """Python's repr of a float8 column; JSON null / CSV empty for NULL, CSV 'inf' for infinities."""
    if fmt is Format.JSON:
        return f"CASE WHEN {column} IS NULL OR {column} IN ('Infinity', '-Infinity', 'NaN') THEN 'null' ELSE {sql_number(column)} END"
    return f"CASE WHEN {column} IS NULL OR {column} = 'NaN' THEN '' ELSE {sql_number(column)} END"


def _valued(query: Query, level: RollupLevel | None, position: int, column: SeriesColumn) -> str:
    """SQL of the column's non-empty buckets in [:k0, :k1): k, ord (the order of k) and the
    aggregate, converted. Shared by both outputs: numbers and rendered text."""
    aggregation = query.aggregation
    valued = f"SELECT k, ord, {_value(aggregation)} AS value FROM ({_sparse(query.grid, level, aggregation, f'id{position}')}) AS sparse"
    if column.converted:
        valued = f"SELECT k, ord, {_converted(position)} AS value FROM ({valued} OFFSET 0) AS raw"
    return valued


def _branch(query: Query, level: RollupLevel | None, fmt: Format, position: int, column: SeriesColumn) -> str:
    """SQL of one row (position, cells): the column's cells of every bucket in [:k0, :k1), joined by
    commas, an empty bucket being :gap<position>. The window reads the buckets in order (the
    primary key's, when cells are buckets: no sort), and string_agg takes them in that order."""
    if column.converted or query.aggregation is not Aggregation.COUNT:
        cell = _number("value", fmt)
    else:
        cell = "value::text"
    gap = f"CAST(:gap{position} AS text)"
    return f"""
        SELECT {position} AS position,
            string_agg(repeat({gap} || ',', (k - prev - 1)::int) || cell, ',') || repeat(',' || {gap}, (:k1 - 1 - max(k))::int)
        FROM (
            SELECT k, lag(k, 1, :k0 - 1) OVER (ORDER BY ord) AS prev, {cell} AS cell FROM ({_valued(query, level, position, column)} ORDER BY ord OFFSET 0) AS valued
        ) AS cells
    """


def local_days_sql(query: Query, level: RollupLevel | None, position: int, column: SeriesColumn) -> str:
    """SQL of the column's buckets (a fixed grid) grouped by the local date (in :tz) their start
    falls on: day, n (non-empty buckets), lo, hi (their extreme values) and shortfall, the sum of
    max(:sign x (:threshold - value), 0) over them, one row per day with data, in date order."""
    day = (
        "((CAST(:anchor AS timestamptz) + k * CAST(:width AS interval)) AT TIME ZONE CAST(:tz AS text))::date"
    )
    shortfall = "greatest(CAST(:sign AS float8) * (CAST(:threshold AS float8) - value), 0)"
    return (
        f"SELECT day, count(*) AS n, min(value) AS lo, max(value) AS hi, sum({shortfall}) AS shortfall"
        f" FROM (SELECT {day} AS day, value FROM ({_valued(query, level, position, column)}) AS valued"
        " WHERE value IS NOT NULL) AS buckets GROUP BY day ORDER BY day"
    )


def batched_sql(query: Query, level: RollupLevel | None, column: SeriesColumn) -> str:
    """SQL of rows (sid, k, value) of the non-empty buckets in [:k0, :k1) of every stored series of
    the :ids array at once, each converted as `column` (the same for all): one plan for all."""
    valued = f"SELECT sid, k, {_value(query.aggregation)} AS value FROM ({_sparse(query.grid, level, query.aggregation, 'ids', many=True)}) AS sparse"
    if column.converted:
        valued = f"SELECT sid, k, {_converted(0)} AS value FROM ({valued} OFFSET 0) AS raw"
    return valued


def chunk_sql(
    query: Query, level: RollupLevel | None, fmt: Format | None, columns: list[SeriesColumn]
) -> str:
    """For the columns with a stored series, in the chunk [:k0, :k1): rows (position, cells) in
    `fmt`, or without one rows (position, k, value) of the non-empty buckets."""

    def branch(position: int, column: SeriesColumn) -> str:
        if fmt is None:
            return f"SELECT {position} AS position, k, value FROM ({_valued(query, level, position, column)}) AS valued"
        return _branch(query, level, fmt, position, column)

    return " UNION ALL ".join(
        f"({branch(position, column)})"
        for position, column in enumerate(columns)
        if column.series_id is not None
    )


def empty_value(column: SeriesColumn, aggregation: Aggregation) -> float | int | None:
    """The number of an empty bucket: None, or the count 0 (converted)."""
    if aggregation is not Aggregation.COUNT:
        return None
    return 0 * column.scale + column.offset if column.converted else 0


def _gap(column: SeriesColumn, aggregation: Aggregation, fmt: Format) -> str:
    """The text of an empty bucket: null / empty, or the count 0 (converted)."""
    value = empty_value(column, aggregation)
    return json_number(value) if fmt is Format.JSON else number_text(value)


def _params(
    query: Query, columns: list[SeriesColumn], k0: int, k1: int, fmt: Format | None
) -> dict[str, Any]:
    grid = query.grid
    params: dict[str, Any] = {"k0": k0, "k1": k1, "lo": grid.start(k0), "hi": grid.start(k1)}
    for position, column in enumerate(columns):
        if column.series_id is not None:
            params[f"id{position}"] = column.series_id
            if fmt is not None:
                params[f"gap{position}"] = _gap(column, query.aggregation, fmt)
            if column.converted:
                params[f"sc{position}"] = column.scale
                params[f"of{position}"] = column.offset
    if isinstance(grid, FixedGrid):
        params |= {
            "anchor": grid.anchor,
            "width": grid.width,
            "a": int(grid.anchor.timestamp()),
            "w": int(grid.width.total_seconds()),
        }
    else:
        params["bounds"] = grid.bounds[k0 : k1 + 1]
    return params


def chunk_params(query: Query, columns: list[SeriesColumn], k0: int, k1: int) -> dict[str, Any]:
    """The placeholders' values of the unrendered SQL of the chunk [k0, k1)."""
    return _params(query, columns, k0, k1, None)


async def _begin(connection: AsyncConnection) -> None:
    # Local to this read-only transaction. No JIT: its compilation costs more than these queries.
    await connection.execute(
        text(
            "SELECT set_config('extra_float_digits', '1', true), set_config('work_mem', '64MB', true),"
            " set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true), set_config('enable_bitmapscan', 'off', true)"
        )
    )


async def _columns(
    connection: AsyncConnection,
    query: Query,
    level: RollupLevel | None,
    columns: list[SeriesColumn],
    k0: int,
    k1: int,
    fmt: Format,
) -> list[list[str]]:
    """Each column's cells for the buckets [k0, k1)."""
    bodies: dict[int, str] = {}
    if any(column.series_id is not None for column in columns):
        statement = text(chunk_sql(query, level, fmt, columns))
        params = _params(query, columns, k0, k1, fmt)
        bodies = {row[0]: row[1] for row in await connection.execute(statement, params)}
    cells = []
    for position, column in enumerate(columns):
        body = bodies.get(position)
        cells.append(
            body.split(",") if body is not None else [_gap(column, query.aggregation, fmt)] * (k1 - k0)
        )
    return cells


RENDERED_FROM = 2000  # buckets per column from which a column comes as one row of text


async def numbers(
    connection: Reader, query: Query, level: RollupLevel | None
) -> list[list[float | int | None]]:
    """Each column's aggregate for every bucket of the grid, on the given connection (the rollups of
    `level` brought up to date by the caller); chunked as the rendered answers are. Long columns
    come as one row of text each (the CSV cells, Python's repr of each float8, parsed here); short
    ones as rows (position, k, value) of their non-empty buckets, which PostgreSQL plans faster."""
    count, columns = query.grid.count, query.columns
    values = [[empty_value(column, query.aggregation)] * count for column in columns]
    if not any(column.series_id is not None for column in columns):
        return values
    if count < RENDERED_FROM:
        stored = [column for column in columns if column.series_id is not None]
        if len(stored) > 1 and len({(column.scale, column.offset) for column in stored}) == 1:
            # Converted alike (counts, or one unit): all series in one statement.
            position_of = {
                column.series_id: position
                for position, column in enumerate(columns)
                if column.series_id is not None
            }
            statement = text(batched_sql(query, level, stored[0]))
            for k0, k1 in _chunks(count, len(columns)):
                params = _params(query, [], k0, k1, None) | {
                    "ids": list(position_of),
                    "sc0": stored[0].scale,
                    "of0": stored[0].offset,
                }
                for sid, k, value in await connection.execute(statement, params):
                    values[position_of[sid]][k] = value
            return values
        statement = text(chunk_sql(query, level, None, columns))
        for k0, k1 in _chunks(count, len(columns)):
            for position, k, value in await connection.execute(
                statement, _params(query, columns, k0, k1, None)
            ):
                values[position][k] = value
        return values
    counts = query.aggregation is Aggregation.COUNT
    for k0, k1 in _chunks(count, len(columns)):
        cells = await _columns(connection, query, level, columns, k0, k1, Format.CSV)  # type: ignore[arg-type]
        for position, (column, column_cells) in enumerate(zip(columns, cells, strict=True)):
            if column.series_id is None:
                continue
            parse = int if counts and not column.converted else float
            values[position][k0:k1] = [parse(cell) if cell else None for cell in column_cells]
    return values


def _chunks(count: int, width: int) -> list[tuple[int, int]]:
    size = max(1, CHUNK_VALUES // max(width, 1))
    return [(k, min(k + size, count)) for k in range(0, count, size)]


def _json_keys(query: Query, k0: int, k1: int) -> list[str]:
    return [f'"{text}":' for text in iso_starts(query.grid, ZoneInfo(query.timezone), k0, k1)]


async def _prepare(engine: AsyncEngine, query: Query) -> RollupLevel | None:
    """The rollup level answering the query (None: the points), brought up to date."""
    level = source_level(query.grid)
    if level is not None:
        await refresh(engine, [column.series_id for column in query.columns if column.series_id is not None])
    return level


async def _columns_apart(
    engine: AsyncEngine, query: Query, level: RollupLevel | None, columns: list[SeriesColumn], fmt: Format
) -> list[list[str]]:
    """_columns for all the buckets, on a connection of its own."""
    async with engine.connect() as connection:
        await _begin(connection)
        return await _columns(connection, query, level, columns, 0, query.grid.count, fmt)


async def _json_at_once(engine: AsyncEngine, query: Query, level: RollupLevel | None) -> bytes:
    """The whole answer of a query small enough for one chunk. Its columns are rendered by two
    connections side by side, while a thread renders the bucket keys."""
    columns = query.columns
    rendering = partial(_columns_apart, engine, query, level, fmt=Format.JSON)
    async with side_by_side(columns, rendering) as tasks:
        keys = await asyncio.to_thread(_json_keys, query, 0, query.grid.count)
        cells = [column_cells for part in await asyncio.gather(*tasks) for column_cells in part]
    # One %-template of the keys, filled with each column's cells: a single C call per column.
    template = ",".join(key.replace("%", "%%") + "%s" for key in keys)
    rendered = [
        json_key(column.label) + ":{" + template % tuple(column_cells) + "}"
        for column, column_cells in zip(columns, cells, strict=True)
    ]
    return ("{" + ",".join(rendered) + "}").encode()


async def json_chunks(engine: AsyncEngine, query: Query) -> AsyncIterator[bytes]:
    """{"<label>": {"<bucket start>": value, ...}, ...}: every series, every bucket."""
    level = await _prepare(engine, query)
    count = query.grid.count
    if count * len(query.columns) <= CHUNK_VALUES:  # the usual case: all at once
        yield await _json_at_once(engine, query, level)
        return
    async with engine.connect() as connection:
        await _begin(connection)
        for position, column in enumerate(query.columns):
            yield (("{" if position == 0 else ",") + json_key(column.label) + ":{").encode()
            for k0, k1 in _chunks(count, 1):
                (column_cells,) = await _columns(connection, query, level, [column], k0, k1, Format.JSON)
                keys = _json_keys(query, k0, k1)
                yield (("," if k0 else "") + ",".join(map(str.__add__, keys, column_cells))).encode()
            yield b"}"
        yield b"}"


async def csv_chunks(
    engine: AsyncEngine, query: Query, dialect: CsvDialect = DEFAULT_DIALECT
) -> AsyncIterator[bytes]:
    """'Datetime,<labels>' then one line per bucket, empty cell = empty bucket (0 for count), in
    the dialect's separator, decimal mark and timestamp form."""
    header = csv_header([column.label for column in query.columns], dialect.separator)
    level = await _prepare(engine, query)
    tz = ZoneInfo(query.timezone)
    join = dialect.separator.join
    async with engine.connect() as connection:
        await _begin(connection)
        for k0, k1 in _chunks(query.grid.count, len(query.columns)):
            cells = await _columns(connection, query, level, query.columns, k0, k1, Format.CSV)
            if dialect.decimal_comma:
                cells = [[dialect.number(cell) for cell in column] for column in cells]
            stamps = [dialect.timestamp(query.grid.start(k), tz) for k in range(k0, k1)]
            yield (
                header + "".join(line + "\n" for line in map(join, zip(stamps, *cells, strict=True)))
            ).encode()
            header = ""
    if header:
        yield header.encode()
