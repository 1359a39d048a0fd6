"""Fixtures of the task tests: a worker in the test's event loop, a campaign with timeseries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.jobs import run_worker
from tests.conftest import TestUser, Users, make_settings

# Short timings: a dead worker is noticed within a second, a due job starts within 0.1 s.
FAST = {"poll_interval": 0.1, "heartbeat_interval": 0.2, "stalled_timeout": 1.0}
RAW, CLEAN = 1, 2


@pytest.fixture
async def worker(database_url: str, users: Users) -> AsyncIterator[Callable[..., None]]:
    """`worker()` starts a worker in this event loop, stopped when the test ends."""
    running: list[asyncio.Task[None]] = []

    def start(**settings: Any) -> None:
        running.append(
            asyncio.create_task(run_worker(make_settings(**settings), database_url, concurrency=2, **FAST))
        )

    yield start
    for task in running:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(predicate: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        outcome = await predicate()
        if outcome:
            return outcome
        if time.monotonic() > deadline:
            raise AssertionError("not true in time")
        await asyncio.sleep(0.05)


@dataclass
class Campaign:
    client: httpx.AsyncClient
    admin: TestUser
    id: int
    scope: int
    name: str = "Campaign"

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=self.admin.headers)
        assert response.status_code == 201, response.text
        return response.json()

    async def timeseries(self, name: str, scope: int | None = None, **properties: str) -> int:
        made = await self.post(
            "/timeseries/", name=name, campaign_id=self.id, campaign_scope_id=scope or self.scope
        )
        for prop, value in properties.items():
            prop_id = {"Min": 1, "Max": 2, "Interval": 3}[prop]
            await self.post(
                "/timeseries_property_data/", timeseries_id=made["id"], property_id=prop_id, value=value
            )
        return made["id"]

    async def write(self, timeseries_id: int, points: dict[str, float], state: int = RAW) -> None:
        response = await self.client.post(
            "/timeseries_data/",
            params={"data_state": state},
            content=json.dumps({str(timeseries_id): points}).encode(),
            headers={**self.admin.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text

    async def run(
        self, task: str, start: str, end: str, user: TestUser | None = None, **parameters: Any
    ) -> dict[str, Any]:
        """POST /tasks/run, then wait for the run to end; the run as GET /task_runs/{id} gives it."""
        body: dict[str, Any] = {
            "task_name": task,
            "campaign_id": self.id,
            "start_time": start,
            "end_time": end,
        }
        if parameters:
            body["parameters"] = parameters
        headers = (user or self.admin).headers
        response = await self.client.post("/tasks/run", json=body, headers=headers)
        assert response.status_code == 204, response.text
        location = response.headers["Location"]

        async def finished() -> dict[str, Any] | None:
            run = (await self.client.get(location, headers=self.admin.headers)).json()
            return run if run["status"] in ("succeeded", "failed") else None

        return await eventually(finished)

    async def events(self) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/events/", params={"campaign_id": self.id, "sort": "+timestamp"}, headers=self.admin.headers
        )
        assert response.status_code == 200, response.text
        events = sorted(response.json(), key=lambda event: event["id"])
        for event in events:
            links = await self.client.get(
                "/timeseries_by_events/", params={"event_id": event["id"]}, headers=self.admin.headers
            )
            event["timeseries"] = sorted(link["timeseries_id"] for link in links.json())
        return events


@pytest.fixture
async def campaign(client: httpx.AsyncClient, users: Users) -> Campaign:
    admin = users.admin
    made = await client.post(
        "/campaigns/", json={"name": "Campaign", "timezone": "Europe/Paris"}, headers=admin.headers
    )
    scope = await client.post(
        "/campaign_scopes/", json={"name": "Scope", "campaign_id": made.json()["id"]}, headers=admin.headers
    )
    return Campaign(client, admin, made.json()["id"], scope.json()["id"])


async def stored(engine: AsyncEngine, timeseries_id: int, data_state: int = CLEAN) -> dict[str, float]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT to_char(d.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), d.value"
                " FROM timeseries_data d JOIN timeseries_by_data_states s ON s.id = d.series_id"
                " WHERE s.timeseries_id = :ts AND s.data_state_id = :ds ORDER BY d.timestamp"
            ),
            {"ts": timeseries_id, "ds": data_state},
        )
        return {row[0]: row[1] for row in rows}
