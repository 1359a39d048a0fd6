"""The data of the tasks workload, made by SQL on either schema: ours or the reference's.

bench_tasks.py (ours) and bench_tasks_reference.py (the reference's venv, so nothing here imports
bemserver) make the same campaigns, timeseries, properties and 10-minute points; only the table
names differ, and `Tables` holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Tables:
    scopes: str
    properties: str
    property_data: str
    data_states: str
    by_data_states: str
    data: str
    data_series: str  # the data table's column naming its (timeseries, data state) row


OURS = Tables(
    "campaign_scopes",
    "timeseries_properties",
    "timeseries_property_data",
    "timeseries_data_states",
    "timeseries_by_data_states",
    "timeseries_data",
    "series_id",
)
REFERENCE = Tables(
    "c_scopes",
    "ts_props",
    "ts_prop_data",
    "ts_data_states",
    "ts_by_data_states",
    "ts_data",
    "ts_by_data_state_id",
)


def make_campaign(connection: Any, tables: Tables, name: str, scopes: int) -> tuple[int, list[int]]:
    """A UTC campaign and its `scopes` scopes; their ids."""
    campaign = connection.execute(
        "INSERT INTO campaigns (name, timezone) VALUES (%s, 'UTC') RETURNING id", (name,)
    ).fetchone()[0]
    scope_ids = [
        connection.execute(
            f"INSERT INTO {tables.scopes} (name, campaign_id) VALUES (%s, %s) RETURNING id",
            (f"Scope {n}", campaign),
        ).fetchone()[0]
        for n in range(scopes)
    ]
    return campaign, scope_ids


def make_timeseries(
    connection: Any, tables: Tables, campaign: int, scopes: list[int], count: int, properties: dict[str, str]
) -> None:
    """`count` timeseries spread over the scopes, each with `properties` and a Raw series."""
    connection.execute(
        "INSERT INTO timeseries (name, unit_symbol, campaign_id, campaign_scope_id)"
        " SELECT 'TS ' || i, '', %s, (%s::int[])[1 + i %% %s] FROM generate_series(0, %s - 1) i",
        (campaign, scopes, len(scopes), count),
    )
    for name, value in properties.items():
        connection.execute(
            f"INSERT INTO {tables.property_data} (timeseries_id, property_id, value)"
            f" SELECT t.id, p.id, %s FROM timeseries t, {tables.properties} p"
            " WHERE t.campaign_id = %s AND p.name = %s",
            (value, campaign, name),
        )
    connection.execute(
        f"INSERT INTO {tables.by_data_states} (timeseries_id, data_state_id)"
        f" SELECT t.id, s.id FROM timeseries t, {tables.data_states} s WHERE t.campaign_id = %s AND s.name = 'Raw'",
        (campaign,),
    )


def make_points(connection: Any, tables: Tables, campaign: int, points: int, where: str = "true") -> int:
    """`points` 10-minute points per Raw series of the campaign (rank i by id): the sine wave + i % 10."""
    cursor = connection.execute(
        f"""
        INSERT INTO {tables.data} ({tables.data_series}, timestamp, value)
        SELECT s.id, %s + k * interval '10 minutes', round((20 + 5 * sin(2 * pi() * k / 144) + s.i %% 10)::numeric, 3)
        FROM (SELECT b.id, row_number() OVER (ORDER BY t.id) - 1 AS i FROM timeseries t
              JOIN {tables.by_data_states} b ON b.timeseries_id = t.id WHERE t.campaign_id = %s) s
        CROSS JOIN LATERAL generate_series(0, %s - 1) k
        WHERE {where}
        """,
        (START, campaign, points),
    )
    return cursor.rowcount
