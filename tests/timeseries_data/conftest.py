"""A small world for data tests, made in SQL (independent of the metadata routes).

Campaign "Campaign 1" (Europe/Paris) with scopes "Scope 1" and "Scope 2". Timeseries:
  ts1 "Temperature" (°C, scope 1), ts2 "Power, kW" (kW, scope 1), ts3 "001" (°C, scope 1),
  ts4 "Énergie \"totale\"" (Wh, scope 2).
Campaign "Campaign 2" has one timeseries "Temperature" (°C) too.
The active user is in a group linked to Campaign 1 and to Scope 1 only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TestUser, Users

RAW, CLEAN = 1, 2
NAMES = ["Temperature", "Power, kW", "001", 'Énergie "totale"']


@dataclass
class World:
    campaign: int
    other_campaign: int
    scope1: int
    scope2: int
    ts: list[int]  # ts1..ts4 ids (index 0..3)
    other_ts: int
    admin: TestUser
    user: TestUser


async def _insert(connection: Any, sql: str, **params: Any) -> int:
    return int((await connection.execute(text(sql + " RETURNING id"), params)).scalar_one())


@pytest.fixture
async def world(engine: AsyncEngine, users: Users) -> World:
    async with engine.begin() as c:
        campaign = await _insert(
            c, "INSERT INTO campaigns (name, timezone) VALUES ('Campaign 1', 'Europe/Paris')"
        )
        other = await _insert(c, "INSERT INTO campaigns (name) VALUES ('Campaign 2')")
        scopes = [
            await _insert(
                c, "INSERT INTO campaign_scopes (name, campaign_id) VALUES (:n, :c)", n=n, c=campaign
            )
            for n in ("Scope 1", "Scope 2")
        ]
        other_scope = await _insert(
            c, "INSERT INTO campaign_scopes (name, campaign_id) VALUES ('Scope', :c)", c=other
        )
        sql = (
            "INSERT INTO timeseries (name, unit_symbol, campaign_id, campaign_scope_id)"
            " VALUES (:n, :u, :c, :s)"
        )
        ts = []
        for name, unit, scope in zip(NAMES, ("°C", "kW", "°C", "Wh"), (0, 0, 0, 1), strict=True):
            ts.append(await _insert(c, sql, n=name, u=unit, c=campaign, s=scopes[scope]))
        other_ts = await _insert(c, sql, n="Temperature", u="°C", c=other, s=other_scope)
        group = await _insert(c, "INSERT INTO user_groups (name) VALUES ('Group')")
        await c.execute(
            text("INSERT INTO users_by_user_groups (user_id, user_group_id) VALUES (:u, :g)"),
            {"u": users.active.id, "g": group},
        )
        await c.execute(
            text("INSERT INTO user_groups_by_campaigns (campaign_id, user_group_id) VALUES (:c, :g)"),
            {"c": campaign, "g": group},
        )
        await c.execute(
            text(
                "INSERT INTO user_groups_by_campaign_scopes (campaign_scope_id, user_group_id) VALUES (:s, :g)"
            ),
            {"s": scopes[0], "g": group},
        )
    return World(campaign, other, scopes[0], scopes[1], ts, other_ts, users.admin, users.active)


# ---------------------------------------------------------------------------------------------------
# Request helpers


async def post_json(
    client: httpx.AsyncClient, user: TestUser, body: Any, *, campaign: int | None = None, **params: Any
) -> httpx.Response:
    path = "/timeseries_data/" if campaign is None else f"/timeseries_data/campaign/{campaign}/"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(
        path,
        params={"data_state": RAW, **params},
        content=content,
        headers={**user.headers, "Content-Type": "application/json"},
    )


async def post_csv(
    client: httpx.AsyncClient,
    user: TestUser,
    body: str | bytes,
    *,
    campaign: int | None = None,
    content_type: str = "text/csv",
    **params: Any,
) -> httpx.Response:
    path = "/timeseries_data/" if campaign is None else f"/timeseries_data/campaign/{campaign}/"
    content = body.encode() if isinstance(body, str) else body
    return await client.post(
        path,
        params={"data_state": RAW, **params},
        content=content,
        headers={**user.headers, "Content-Type": content_type},
    )


async def get_data(
    client: httpx.AsyncClient,
    user: TestUser,
    timeseries: list[Any],
    start: str = "2020-01-01T00:00:00+00:00",
    end: str = "2021-01-01T00:00:00+00:00",
    *,
    campaign: int | None = None,
    accept: str | None = None,
    **params: Any,
) -> httpx.Response:
    path = "/timeseries_data/" if campaign is None else f"/timeseries_data/campaign/{campaign}/"
    headers = dict(user.headers)
    if accept is not None:
        headers["Accept"] = accept
    query = {"timeseries": timeseries, "start_time": start, "end_time": end, "data_state": RAW, **params}
    return await client.get(path, params=query, headers=headers)


async def delete_data(
    client: httpx.AsyncClient,
    user: TestUser,
    timeseries: list[Any],
    start: str = "2020-01-01T00:00:00+00:00",
    end: str = "2021-01-01T00:00:00+00:00",
    *,
    campaign: int | None = None,
    **params: Any,
) -> httpx.Response:
    path = "/timeseries_data/" if campaign is None else f"/timeseries_data/campaign/{campaign}/"
    query = {"timeseries": timeseries, "start_time": start, "end_time": end, "data_state": RAW, **params}
    return await client.delete(path, params=query, headers=user.headers)


async def stored(engine: AsyncEngine, timeseries_id: int, data_state: int = RAW) -> dict[str, float]:
    """The points of a timeseries, read in SQL: {UTC isoformat: value}."""
    async with engine.connect() as c:
        rows = await c.execute(
            text(
                "SELECT d.timestamp, d.value FROM timeseries_data d"
                " JOIN timeseries_by_data_states s ON s.id = d.series_id"
                " WHERE s.timeseries_id = :ts AND s.data_state_id = :ds ORDER BY d.timestamp"
            ),
            {"ts": timeseries_id, "ds": data_state},
        )
        return {row[0].isoformat(): row[1] for row in rows}
