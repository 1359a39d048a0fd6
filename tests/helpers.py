"""Small helpers shared by the tests: making objects through the API and SQL."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest


async def create(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def etag_of(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def link_user_to_campaign(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    user_id: int,
    campaign_id: int,
    name: str = "Group",
) -> int:
    """Put the user in a new group linked to the campaign; returns the group id."""
    group = await create(client, "/user_groups/", admin_headers, name=name)
    await create(client, "/users_by_user_groups/", admin_headers, user_id=user_id, user_group_id=group["id"])
    await create(
        client,
        "/user_groups_by_campaigns/",
        admin_headers,
        user_group_id=group["id"],
        campaign_id=campaign_id,
    )
    return group["id"]


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs, whichever path sends them
    (SQLAlchemy or the driver connection directly): every one goes through a psycopg cursor."""
    seen: list[str] = []
    original = psycopg.AsyncCursor.execute

    async def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query))
        return await original(self, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(psycopg.AsyncCursor, "execute", execute)
        yield seen


def free_port() -> int:
    """A port nothing listens on now (another process may take it before the caller does: see
    `listens`)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_database(database_url: str, suffix: str) -> Iterator[str]:
    """An empty database beside the test database (`<name>_<suffix>`), dropped afterwards."""
    server, name = database_url.rsplit("/", 1)
    other = f"{name}_{suffix}"
    admin = server + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{other}"')
        connection.execute(f'CREATE DATABASE "{other}"')
    try:
        yield f"{server}/{other}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


def listens(pid: int, port: int) -> bool:
    """Whether the process `pid` (or one of its children) listens on the TCP port: a server
    started on a port from a `free_port()` is up when *it* listens there, not when anything
    answers (another process may have been given the same port meanwhile)."""
    import psutil

    try:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    for member in family:
        with contextlib.suppress(psutil.Error):
            for connection in member.net_connections(kind="tcp"):
                if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
                    return True
    return False
