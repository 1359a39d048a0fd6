"""The data tests' small world (tests/timeseries_data/conftest.py) and helpers for the analyses."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TestUser
from tests.timeseries_data.conftest import world  # noqa: F401  (the fixture)

INTERVAL = 3  # the seeded Interval timeseries property


async def set_interval(client: httpx.AsyncClient, admin: TestUser, timeseries_id: int, value: str) -> None:
    response = await client.post(
        "/timeseries_property_data/",
        json={"timeseries_id": timeseries_id, "property_id": INTERVAL, "value": value},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text


async def get_completeness(
    client: httpx.AsyncClient,
    user: TestUser,
    timeseries: list[Any],
    start: str,
    end: str,
    width: int,
    unit: str,
    *,
    data_state: int = 1,
    **params: Any,
) -> httpx.Response:
    query = {
        "timeseries": timeseries,
        "start_time": start,
        "end_time": end,
        "bucket_width_value": width,
        "bucket_width_unit": unit,
        "data_state": data_state,
        **params,
    }
    return await client.get("/analysis/completeness", params=query, headers=user.headers)
