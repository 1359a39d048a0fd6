"""Requests to the aggregate and stats routes, and a look at the rollup tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TestUser
from tests.timeseries_data.conftest import RAW


async def get_aggregate(
    client: httpx.AsyncClient,
    user: TestUser,
    timeseries: list[Any],
    start: str,
    end: str,
    value: int = 1,
    unit: str = "hour",
    aggregation: str | None = None,
    *,
    campaign: int | None = None,
    accept: str | None = None,
    **params: Any,
) -> httpx.Response:
    path = (
        "/timeseries_data/aggregate"
        if campaign is None
        else f"/timeseries_data/campaign/{campaign}/aggregate"
    )
    query = {
        "timeseries": timeseries,
        "start_time": start,
        "end_time": end,
        "data_state": RAW,
        "bucket_width_value": value,
        "bucket_width_unit": unit,
        **params,
    }
    if aggregation is not None:
        query["aggregation"] = aggregation
    headers = dict(user.headers)
    if accept is not None:
        headers["Accept"] = accept
    return await client.get(path, params=query, headers=headers)


async def get_stats(
    client: httpx.AsyncClient,
    user: TestUser,
    timeseries: list[Any],
    *,
    campaign: int | None = None,
    **params: Any,
) -> httpx.Response:
    path = "/timeseries_data/stats" if campaign is None else f"/timeseries_data/campaign/{campaign}/stats"
    query = {"timeseries": timeseries, "data_state": RAW, **params}
    return await client.get(path, params=query, headers=user.headers)


async def series_of(engine: AsyncEngine, timeseries_id: int, data_state: int = RAW) -> int | None:
    async with engine.connect() as c:
        return await c.scalar(
            text("SELECT id FROM timeseries_by_data_states WHERE timeseries_id = :t AND data_state_id = :d"),
            {"t": timeseries_id, "d": data_state},
        )


async def refresh(engine: AsyncEngine, series_id: int) -> None:
    async with engine.begin() as c:
        await c.execute(text("SELECT refresh_dirty_rollups(ARRAY[CAST(:s AS int)])"), {"s": series_id})


async def rollup_rows(engine: AsyncEngine, table: str, series_id: int) -> dict[str, dict[str, Any]]:
    """{UTC isoformat of the cell start: {count, sum (exact Decimal), fsum, min, max, m2}}."""
    m2 = "m2" if table != "timeseries_data_hours" else "NULL"
    async with engine.connect() as c:
        rows = await c.execute(
            text(
                f"SELECT start, count, micros * 0.000001 + coalesce(decimals, 0), fsum, min, max, {m2}"
                f" FROM {table} WHERE series_id = :s ORDER BY start"
            ),
            {"s": series_id},
        )
        return {
            row[0].isoformat(): {
                "count": row[1],
                "sum": Decimal(row[2]).normalize(),
                "fsum": row[3],
                "min": row[4],
                "max": row[5],
                "m2": row[6],
            }
            for row in rows
        }
