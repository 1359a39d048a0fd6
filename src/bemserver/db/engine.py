"""Async engine and the per-request session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver whatever PostgreSQL URL form was given."""
    for prefix in (
        "postgresql+psycopg://",
        "postgresql+psycopg2://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"Not a PostgreSQL URL: {url!r}")


def make_engine(url: str, pool_size: int = 10, *, autocommit: bool = False) -> AsyncEngine:
    """The engine of transactions: `pool_size` connections kept, as many again opened under load.

    With `autocommit`, the autocommit engine of the lean routes (see autocommit_scope): twice as
    many connections, all kept. A burst of concurrent reads beyond the kept connections would
    otherwise open and close extra ones all along (a PostgreSQL backend started per request:
    measured here, 16 clients got 332 requests/s with 10 kept connections, 399 with 20).
    """
    options: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size}
    if autocommit:
        options = {"pool_size": 2 * pool_size, "max_overflow": 0, "isolation_level": "AUTOCOMMIT"}
    return create_async_engine(
        normalize_url(url),
        pool_pre_ping=False,
        connect_args={"options": "-c timezone=UTC"},
        **options,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


@asynccontextmanager
async def session_scope(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back if it raises.

    GET and HEAD requests only read, and run in autocommit mode instead: at READ COMMITTED every
    statement sees its own snapshot anyway, and this saves the BEGIN and COMMIT round trips (a
    third of the database time of a small list). So a GET must not write, nor use a server-side
    cursor or rely on one snapshot for several statements (REPEATABLE READ would need its own
    connection).
    """
    async with request.app.state.sessionmaker() as session:
        if request.method in READ_ONLY_METHODS:
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session  # nothing to commit
        else:
            yield session
            await session.commit()


@asynccontextmanager
async def autocommit_scope(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection of the autocommit engine: no session, no transaction, no isolation switch.

    For the lean routes that only read (generic lists and items, data reads) or whose writes are
    each one statement or grouped in an explicit `driver.transaction()` (data POSTs). They use
    the Core execute/scalar methods a session has too.
    """
    async with request.app.state.autocommit_engine.connect() as connection:
        yield connection


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session as a FastAPI dependency (see session_scope)."""
    async with session_scope(request) as session:
        yield session


# What code run by lean routes accepts: the request's session, or an autocommit_scope connection.
Reader = AsyncSession | AsyncConnection

Session = Annotated[AsyncSession, Depends(request_session, scope="function")]
