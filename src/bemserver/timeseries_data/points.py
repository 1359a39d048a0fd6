"""The statements that write and delete points (the ingest service chooses among them).

Packed rows (posted.py) are inserted from arrays, COPY'd into the table (undone by a savepoint when
an instant is already stored) or into a staging table merged into it; `write_small` does a small
write in one statement. Deadlocks between concurrent writers are retried (`retried`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Executable,
    Float,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal_column,
    not_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bemserver.auth.caller import Caller
from bemserver.db.driver import connection_of, driver_of, transaction
from bemserver.db.engine import Reader
from bemserver.db.prepared import Shapes
from bemserver.http.errors import Conflict, Unprocessable
from bemserver.http.fields import is_database_id
from bemserver.permissions import sql_caller
from bemserver.timeseries.models import Timeseries, TimeseriesByDataState, TimeseriesDataState
from bemserver.timeseries_data import rollups
from bemserver.timeseries_data.models import TimeseriesData
from bemserver.timeseries_data.posted import COPY_HEADER, COPY_TRAILER, Batch, instant, rows_of
from bemserver.timeseries_data.report import Written
from bemserver.timeseries_data.rollup_models import DirtySpan
from bemserver.timeseries_data.selection import check_selected, timeseries_query

# Each write counts the rows it inserted and those it updated (`xmax = 0`: inserted), by series.
_COUNTED = """
WITH written AS ({insert} RETURNING series_id, timeseries_data.xmax = 0 AS new)
SELECT series_id, count(*) FILTER (WHERE new), count(*) FILTER (WHERE NOT new) FROM written GROUP BY series_id
"""
_INSERT = """
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT s, t, v FROM unnest(CAST(:s AS int[]), CAST(:t AS timestamptz[]), CAST(:v AS float8[])) AS r(s, t, v)
"""
_INSERT_KEEP = text(_COUNTED.format(insert=_INSERT + "ON CONFLICT DO NOTHING"))
_INSERT_OVERWRITE = text(
    _COUNTED.format(
        insert=_INSERT + "ON CONFLICT (series_id, timestamp) DO UPDATE SET value = EXCLUDED.value"
    )
)

_STAGING = text("""
CREATE TEMP TABLE IF NOT EXISTS timeseries_data_staging (
    series_id int NOT NULL,
    timestamp timestamptz NOT NULL,
    value float8 NOT NULL,
    position bigint GENERATED ALWAYS AS IDENTITY
) ON COMMIT DELETE ROWS
""")

_MERGE_KEEP = text(
    _COUNTED.format(
        insert="""
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT series_id, timestamp, value FROM timeseries_data_staging ORDER BY position
ON CONFLICT DO NOTHING"""
    )
)

_MERGE_OVERWRITE = text(
    _COUNTED.format(
        insert="""
INSERT INTO timeseries_data (series_id, timestamp, value)
SELECT DISTINCT ON (series_id, timestamp) series_id, timestamp, value
FROM timeseries_data_staging ORDER BY series_id, timestamp, position DESC
ON CONFLICT (series_id, timestamp) DO UPDATE SET value = EXCLUDED.value"""
    )
)

_COPY_INTO_TABLE = "COPY timeseries_data (series_id, timestamp, value) FROM STDIN (FORMAT BINARY)"
_COPY_INTO_STAGING = "COPY timeseries_data_staging (series_id, timestamp, value) FROM STDIN (FORMAT BINARY)"


class HandledCopyFailure(logging.Filter):
    """Drops psycopg's "error ignored terminating <AsyncCopy>" warning: it is logged when a COPY
    block exits with an exception (a bad point found while streaming, a stored instant) and ending
    the COPY fails again. That first exception is always handled here (a merge, a 422, a retry) or
    reported by the error handlers, so the warning only alarmed operators about answered requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.msg == "error ignored terminating %r: %s"
            and bool(record.args)
            and isinstance(record.args, tuple)
            and isinstance(record.args[0], psycopg.AsyncCopy)
        )


logging.getLogger("psycopg").addFilter(HandledCopyFailure())


def _unique_keys(rows: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """One row per key, the last posted winning (ON CONFLICT DO UPDATE needs unique keys)."""
    return list({(s, u): (s, u, v) for s, u, v in rows}.values())


def _written(result: Any) -> Written:
    return {series_id: (inserted, updated) for series_id, inserted, updated in result}


async def insert_rows(connection: AsyncConnection, chunks: list[bytes], overwrite: bool) -> Written:
    """Insert packed rows from arrays (few rows: cheaper than COPY); what was written by series."""
    rows = list(rows_of(chunks))
    if overwrite:
        rows = _unique_keys(rows)
    series, micros, values = (list(column) for column in zip(*rows, strict=True))
    instants = [instant(u) for u in micros]
    statement = _INSERT_OVERWRITE if overwrite else _INSERT_KEEP
    return _written(await connection.execute(statement, {"s": series, "t": instants, "v": values}))


async def _copy(
    driver: psycopg.AsyncConnection[Any], sql: str, first: list[bytes], rest: Iterator[bytes]
) -> None:
    """COPY the chunks already packed, then the others as they get packed; all are kept in `first`."""
    async with driver.cursor().copy(sql) as copy:
        await copy.write(COPY_HEADER)
        for chunk in first:
            await copy.write(chunk)
        for chunk in rest:
            first.append(chunk)
            await copy.write(chunk)
        await copy.write(COPY_TRAILER)


async def copy_new(driver: psycopg.AsyncConnection[Any], first: list[bytes], rest: Iterator[bytes]) -> bool:
    """COPY straight into the table; False (and nothing written) if a key already exists. Every
    chunk ends up in `first`."""
    try:
        async with driver.transaction():  # a savepoint: a clash undoes only this COPY
            await _copy(driver, _COPY_INTO_TABLE, first, rest)
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected):
        # A stored instant, or a concurrent request writing the same instants in another order:
        # undone, the merge waits for the other request instead.
        first.extend(rest)  # if the COPY stopped early, parse (and check) the rest
        return False
    return True


async def merge(connection: AsyncConnection, chunks: list[bytes], overwrite: bool) -> Written:
    """COPY into the staging table, then merge it into the table; what was written by series."""
    await connection.execute(_STAGING)
    await _copy(await driver_of(connection), _COPY_INTO_STAGING, chunks, iter(()))
    return _written(await connection.execute(_MERGE_OVERWRITE if overwrite else _MERGE_KEEP))


_RETRY_LATER = {"40P01", "40001"}  # deadlock detected, serialization failure
ATTEMPTS = 4
_TRY_AGAIN = "Concurrent writes to the same points: please try again"


def _must_retry(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", exc), "sqlstate", None) in _RETRY_LATER


async def retried(connection: AsyncConnection, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` in a savepoint. Requests writing or deleting the same instants of the same
    series in different orders can deadlock: PostgreSQL aborts one of them, whose savepoint is
    rolled back (releasing its locks: the other request goes on) and `work` runs again, now
    waiting for the other. After ATTEMPTS, a 409 asking to try again (never a 500)."""
    for _ in range(ATTEMPTS):
        try:
            async with transaction(connection):
                await work()
            return
        except (DBAPIError, psycopg.Error) as exc:
            if not _must_retry(exc):
                raise
    raise Conflict(_TRY_AGAIN)


def _array(name: str, type_: Any) -> Any:
    """An array placeholder, for a value sent as PostgreSQL array text (see write_small)."""
    return cast(bindparam(name), ARRAY(type_))


def _small_write(overwrite: bool, selection: Select[Any] | None) -> Executable:
    """The statement of write_small. With a `selection` (selection.timeseries_query) to check,
    nothing is written unless every wanted timeseries is found and allowed, and the statement
    returns what the caller needs to say why."""
    data_state = bindparam("ds", type_=Integer)
    series_of = TimeseriesByDataState
    guard: Any = bindparam("write", type_=Boolean)
    checks: list[Any] = []
    if selection is not None:
        selected = selection.cte("selected")
        all_found = select(func.count()).select_from(selected).scalar_subquery() == bindparam(
            "expected", type_=Integer
        )
        all_allowed = func.coalesce(select(func.bool_and(selected.c.allowed)).scalar_subquery(), true())
        verdict = select(and_(all_found, all_allowed).label("ok")).cte("verdict")
        guard = and_(guard, select(verdict.c.ok).scalar_subquery())
        checks = [
            select(func.array_agg(selected.c.id)).scalar_subquery().label("ids"),
            select(func.array_agg(selected.c.allowed)).scalar_subquery().label("allowed"),
        ]
    state = select(TimeseriesDataState.id).where(TimeseriesDataState.id == data_state, guard).cte("state")
    existing = (
        select(series_of.timeseries_id, series_of.id)
        .where(
            series_of.data_state_id == select(state.c.id).scalar_subquery(),
            series_of.timeseries_id == any_(_array("ts", Integer)),
        )
        .with_for_update(read=True, key_share=True)
        .cte("existing")
    )
    wanted = func.unnest(_array("ts", Integer)).column_valued("t")
    created = (
        pg_insert(series_of)
        .from_select(["timeseries_id", "data_state_id"], select(wanted, state.c.id))
        .on_conflict_do_nothing()
        .returning(series_of.timeseries_id, series_of.id)
        .cte("created")
    )
    series = union_all(
        select(existing.c.timeseries_id, existing.c.id), select(created.c.timeseries_id, created.c.id)
    ).cte("series")
    # Every wanted series found or created, else nothing written: a series created by a concurrent
    # request after this statement's snapshot is missing, and the statement runs again (write_small).
    complete = select(func.count()).select_from(series).scalar_subquery() == bindparam(
        "series_wanted", type_=Integer
    )
    posted = (
        func.unnest(_array("p", Integer), _array("t", DateTime(timezone=True)), _array("v", Float))
        .table_valued("ts", "t", "v", with_ordinality="o")
        .render_derived(name="r")
    )
    points = pg_insert(TimeseriesData).from_select(
        ["series_id", "timestamp", "value"],
        select(series.c.id, posted.c.t, posted.c.v)
        .select_from(posted.join(series, series.c.timeseries_id == posted.c.ts))
        .where(complete)
        .order_by(posted.c.o),
    )
    if overwrite:
        points = points.on_conflict_do_update(
            index_elements=["series_id", "timestamp"], set_={"value": points.excluded.value}
        )
    else:
        points = points.on_conflict_do_nothing()
    written = points.returning(
        TimeseriesData.series_id.label("sid"), literal_column("timeseries_data.xmax = 0").label("new")
    ).cte("written")
    per_timeseries = (
        select(
            series.c.timeseries_id.label("ts"),
            func.count().filter(written.c.new).label("inserted"),
            func.count().filter(not_(written.c.new)).label("updated"),
        )
        .select_from(written.join(series, series.c.id == written.c.sid))
        .group_by(series.c.timeseries_id)
        .cte("per_timeseries")
    )
    counted = [
        select(func.array_agg(aggregate_order_by(per_timeseries.c[name], per_timeseries.c.ts)))
        .scalar_subquery()
        .label(f"w_{name}")
        for name in ("ts", "inserted", "updated")
    ]
    span = [cast(bindparam(name), DateTime(timezone=True)) for name in ("lo", "hi")]
    noted = (
        insert(DirtySpan)
        .from_select(
            ["series_id", "lo", "hi"],
            select(series.c.id, *span).where(
                series.c.timeseries_id == any_(_array("changed", Integer)), complete
            ),
        )
        .cte("noted")
    )
    found = exists().where(TimeseriesDataState.id == data_state)
    # The job that refreshes the rollups in the background, if anything was written (rollups.py).
    queued = select(func.queue_rollup_refresh(literal_column(rollups.REFRESH_DELAY_SQL))).where(
        exists(select(written.c.sid))
    )
    return select(
        found.label("found"),
        select(func.count()).select_from(series).scalar_subquery().label("series"),
        queued.scalar_subquery().label("queued"),
        *checks,
        *counted,
    ).add_cte(written, noted)


_SMALL_WRITES = Shapes()


def _array_text(integers: Iterable[int]) -> str:
    return "{" + ",".join(map(str, integers)) + "}"


@dataclass(frozen=True, slots=True)
class Check:
    """The timeseries a small write must check itself: the caller, the wanted ids in request
    order, and the values of selection.timeseries_query's placeholders."""

    caller: Caller
    wanted: list[int]
    values: dict[str, Any]


async def write_small(
    session: Reader,
    batch: Batch,
    timeseries_ids: list[int],
    data_state_id: int,
    *,
    overwrite: bool = False,
    check: Check | None = None,
) -> Written:
    """A small write in one prepared statement (rows carrying timeseries ids): the data state checked,
    the series found (locked) or created, the points inserted, their span noted for the rollups.
    `check` selects the timeseries and their permission first; errors come in the order of larger
    writes: unknown timeseries (422), permission (403), unknown data state (422), bad point (422)."""
    unknown_state = Unprocessable(errors={"query": {"data_state": "Unknown data state ID"}})
    state_in_range = is_database_id(data_state_id)
    if not state_in_range:
        data_state_id = 0  # no such id: the statement still checks the timeseries
    bad_point: Unprocessable | None = None
    try:
        rows = list(rows_of(list(batch.chunks)))
    except Unprocessable as exc:  # reported after the checks that come first
        bad_point, rows = exc, []
    if overwrite:
        rows = _unique_keys(rows)
    lo, hi = batch.bounds() if rows else (None, None)
    # Arrays as PostgreSQL array text: psycopg inspects each list to choose its type otherwise.
    # Floats are finite (checked when parsed) and repr() gives their shortest exact decimal.
    params: dict[str, Any] = {
        "ds": data_state_id,
        "ts": _array_text(timeseries_ids),
        "p": _array_text(row[0] for row in rows),
        "t": "{" + ",".join(f'"{instant(row[1]).isoformat()}"' for row in rows) + "}",
        "v": "{" + ",".join(repr(row[2]) for row in rows) + "}",
        "lo": lo,
        "hi": hi,
        "changed": _array_text(batch.spans if rows else ()),
    }
    params["write"] = bad_point is None and state_in_range
    params["series_wanted"] = len(set(timeseries_ids))
    if check is None:
        shape: tuple[Any, ...] = (overwrite,)
        statement = _SMALL_WRITES.get(shape, lambda: _small_write(overwrite, None))
    else:
        params |= check.values | {"expected": len(check.wanted)}
        caller = sql_caller(check.caller)
        shape = (overwrite, caller.is_admin)
        statement = _SMALL_WRITES.get(
            shape, lambda: _small_write(overwrite, timeseries_query(Timeseries.id, False, caller))
        )
    assert statement is not None
    for _ in range(ATTEMPTS):
        try:
            (result,) = await statement.rows(session, params)
        except (DBAPIError, psycopg.Error) as exc:
            if not _must_retry(exc):
                raise
            continue  # aborted to break a deadlock: nothing was written, again
        found, series = result["found"], result["series"]
        if check is not None:
            check_selected(check.wanted, dict(zip(result["ids"] or (), result["allowed"] or (), strict=True)))
        if not found or not state_in_range:
            raise unknown_state
        if bad_point is not None:
            raise bad_point
        if series == params["series_wanted"]:
            return {
                ts: (inserted, updated)
                for ts, inserted, updated in zip(
                    result["w_ts"] or (), result["w_inserted"] or (), result["w_updated"] or (), strict=True
                )
            }
        # A concurrent request created a series after this statement's snapshot: nothing was
        # written (see _small_write), so the next attempt's counts are the whole request's.
    raise Conflict(_TRY_AGAIN)


async def delete(session: Reader, series_ids: list[int], start: datetime, end: datetime) -> None:
    """Delete the points of these series in [start, end)."""
    if not series_ids or start >= end:
        return
    connection = await connection_of(session)

    async def attempt() -> None:
        await connection.execute(_DELETE, {"s": series_ids, "start": start, "end": end})
        await rollups.points_changed(connection, series_ids, start, end)

    await retried(connection, attempt)


_DELETE = text(
    "DELETE FROM timeseries_data WHERE series_id = ANY(CAST(:s AS int[]))"
    " AND timestamp >= :start AND timestamp < :end"
)
