"""Pre-aggregated rollups kept in step with the points (to be written by the aggregation engine).

The write paths call `points_changed` after every insert or delete of points, in the same
transaction, with the affected series and the [start, end) span of the change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection


async def points_changed(
    connection: AsyncConnection, series_ids: list[int], start: datetime, end: datetime
) -> None:
    """Refresh whatever rollups cover the given series and time span."""
    return None
