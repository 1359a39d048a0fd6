"""The request's side of the Database (db/database.py): its session or connection as dependencies.

GET and HEAD run in autocommit (at READ COMMITTED each statement has its own snapshot anyway): no
BEGIN and COMMIT round trips, a third of a small list's database time. So a GET must not write, nor
use a server-side cursor or rely on one snapshot for several statements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bemserver.db.database import Database

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def database_of(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


@asynccontextmanager
async def session_scope(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: a unit of work, or a read session for GET and HEAD."""
    database = database_of(request)
    scope = database.read_session if request.method in READ_ONLY_METHODS else database.unit_of_work
    async with scope() as session:
        yield session


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session as a FastAPI dependency (see session_scope)."""
    async with session_scope(request) as session:
        yield session


async def request_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """The request's autocommit connection as a FastAPI dependency (see Database.reader)."""
    async with database_of(request).reader() as connection:
        yield connection


# What code that runs in either kind of scope accepts: a session, or a reader connection.
Reader = AsyncSession | AsyncConnection

# Endpoint annotations: the request's session (see session_scope), or an autocommit connection.
Session = Annotated[AsyncSession, Depends(request_session, scope="function")]
Connection = Annotated[AsyncConnection, Depends(request_connection, scope="function")]
