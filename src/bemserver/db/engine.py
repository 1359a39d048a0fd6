"""Async engine and the per-request session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
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


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        normalize_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args={"options": "-c timezone=UTC"},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
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


Session = Annotated[AsyncSession, Depends(request_session, scope="function")]
