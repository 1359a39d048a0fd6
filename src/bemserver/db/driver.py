"""The request's psycopg connection (sharing the session's transaction), for hot statements: the
caller lookup and small data writes skip SQLAlchemy's execution layer (about 0.3 ms a statement).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from sqlalchemy import Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bemserver.db.engine import Reader


async def connection_of(target: Reader) -> AsyncConnection:
    return await target.connection() if isinstance(target, AsyncSession) else target


async def driver_of(target: Reader) -> psycopg.AsyncConnection[Any]:
    connection = await connection_of(target)
    return connection.sync_connection.connection.driver_connection  # type: ignore[union-attr,return-value]


@contextmanager
def _as_sqlalchemy_errors(sql: str, params: Any) -> Iterator[None]:
    """Driver errors re-raised as SQLAlchemy's (IntegrityError, DataError...), as the error
    handlers expect whichever path ran the statement."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc


async def fetch_one(
    target: Reader, sql: str, params: tuple[Any, ...] | dict[str, Any]
) -> tuple[Any, ...] | None:
    driver = await driver_of(target)
    with _as_sqlalchemy_errors(sql, params):
        cursor = await driver.execute(sql, params)
        return await cursor.fetchone()


async def execute(target: Reader, sql: str, params: tuple[Any, ...] | dict[str, Any]) -> None:
    """Run a statement whose rows, if any, are not wanted."""
    driver = await driver_of(target)
    with _as_sqlalchemy_errors(sql, params):
        await driver.execute(sql, params)


_NAMES: dict[str, list[str]] = {}  # result column names by SQL text
_NAMES_KEPT = 4096


async def fetch_all(
    target: Reader, sql: str, params: tuple[Any, ...] | dict[str, Any], *, binary: bool = False
) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name; `binary`: received in binary (long arrays of numbers
    parse in half the time)."""
    driver = await driver_of(target)
    with _as_sqlalchemy_errors(sql, params):
        cursor = await driver.execute(sql, params, binary=binary)
        rows = await cursor.fetchall()
    if not rows:
        return []
    names = _NAMES.get(sql)
    if names is None:  # cursor.description builds a Column object per column: read it once per SQL
        names = [column.name for column in cursor.description or ()]
        if len(_NAMES) < _NAMES_KEPT:
            _NAMES[sql] = names
    return _dicts(names, rows)


def as_dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """A SQLAlchemy result's rows as dicts: three times faster than dict(row) over `.mappings()`
    (0.09 against 0.27 ms for 100 rows of events)."""
    return _dicts(list(result.keys()), result)


def _dicts(names: list[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(names, row, strict=True)) for row in rows]


@asynccontextmanager
async def transaction(target: Reader) -> AsyncIterator[None]:
    """Statements that succeed or fail together, on a request running in autocommit (or a
    savepoint, inside a transaction)."""
    driver = await driver_of(target)
    async with driver.transaction():
        yield


@asynccontextmanager
async def custom_plans(target: Reader) -> AsyncIterator[None]:
    """Statements run here are not prepared on the server: each gets a plan for its own values.

    psycopg prepares a statement run 5 times, and PostgreSQL then may keep one generic plan for
    every value, which for statements built per request (a time range, a campaign's scopes) can
    be a plan that reads all matches through the wrong index."""
    driver = await driver_of(target)
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold
