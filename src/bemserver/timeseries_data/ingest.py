"""Writing and deleting points: the one place that chooses how (the statements are in points.py).

Small bodies: one statement checks the timeseries (by id; by name they are selected first), finds
or creates the series and inserts the points (points.write_small). Larger ones, in one transaction:
the series found (locked) or created, then the points inserted from arrays if few, else COPY'd into
the table, or into a staging table merged into it when some instant is already stored. Existing
values win unless `overwrite` (within a request: the first posted, the last with `overwrite`).
A request writes all its points or none.
"""

from __future__ import annotations

from datetime import datetime

from bemserver.auth.caller import Caller
from bemserver.db.driver import connection_of, driver_of, transaction
from bemserver.db.engine import Reader
from bemserver.http.fields import is_database_id
from bemserver.timeseries_data import points, rollups
from bemserver.timeseries_data.posted import Batch, Posted, id_labels, row_count
from bemserver.timeseries_data.report import Report, Written
from bemserver.timeseries_data.selection import (
    Resolved,
    Selection,
    data_state_series,
    query_values,
    select_timeseries,
)

SMALL_BATCH = 1000  # points; up to this many, one INSERT beats COPY and its checks


async def write(
    connection: Reader,
    caller: Caller,
    posted: Posted,
    data_state: int,
    *,
    campaign_id: int | None = None,
    overwrite: bool = False,
) -> Report:
    """Write the posted points of timeseries named by id, or by name within `campaign_id` (whose
    access the caller checked: see selection.require_readable_campaign). Errors, in order:
    unknown timeseries (422), permission (403), unknown data state (422), a bad point (422).
    Returns what was written, by label (report.py)."""
    labels = posted.labels
    keys: list[int] | list[str] = labels
    if campaign_id is None:
        keys = ids = id_labels(labels)
        if posted.most <= SMALL_BATCH:
            return await _write_small_by_id(connection, caller, posted, ids, data_state, overwrite)
    selection = Selection(keys, data_state, campaign_id)
    selected = await select_timeseries(connection, caller, selection)
    by_key = {(ts.name if selection.by_name else ts.id): ts.id for ts in selected}
    timeseries_ids = list(by_key.values())
    # The request runs in autocommit: a small write is one statement, a larger one a transaction.
    if posted.most <= SMALL_BATCH:
        # Points packed with their timeseries id; series found or created by the same statement.
        by_label = {label: by_key[key] for label, key in zip(labels, keys, strict=True)}
        batch = posted.batch(by_label)
        written = await points.write_small(connection, batch, timeseries_ids, data_state, overwrite=overwrite)
        return Report.of(by_label, batch.counts, written)
    async with transaction(connection):
        stored = await data_state_series(connection, timeseries_ids, data_state, create=True)
        by_label = {label: stored[by_key[key]] for label, key in zip(labels, keys, strict=True)}
        batch = posted.batch(by_label)
        written = await _write_batch(connection, batch, overwrite)
    return Report.of(by_label, batch.counts, written)


async def _write_small_by_id(
    connection: Reader, caller: Caller, posted: Posted, ids: list[int], data_state: int, overwrite: bool
) -> Report:
    """One statement that also checks the timeseries (see points.write_small)."""
    wanted = list(dict.fromkeys(ids))
    values = query_values(caller, wanted, None)
    check = points.Check(caller, wanted, values)
    # Ids beyond int4 are unknown (the statement then writes nothing): packed as 0.
    by_id = {label: key if is_database_id(key) else 0 for label, key in zip(posted.labels, ids, strict=True)}
    storable = values["wanted"]  # the others are unknown: reported, never written
    batch = posted.batch(by_id)
    written = await points.write_small(
        connection, batch, storable, data_state, overwrite=overwrite, check=check
    )
    return Report.of(by_id, batch.counts, written)


async def _write_batch(target: Reader, batch: Batch, overwrite: bool) -> Written:
    """Every point of the batch (rows carrying series ids), or none: a bad point raises while
    parsing, and the caller's transaction is rolled back. Returns what was written by series."""
    connection = await connection_of(target)
    first: list[bytes] = []
    count = 0
    for chunk in batch.chunks:
        first.append(chunk)
        count += row_count(chunk)
        if count > SMALL_BATCH:
            break
    if count == 0:
        return {}
    rest = batch.chunks
    written: Written = {}

    async def attempt() -> None:
        nonlocal rest, written
        if count <= SMALL_BATCH:
            written = await points.insert_rows(connection, first, overwrite)
        else:
            # `first` gets every chunk COPY'd: an attempt after a deadlock starts from it
            new_points, rest = await points.copy_new(await driver_of(connection), first, rest), iter(())
            if new_points:  # every posted point inserted
                written = {series_id: (posted, 0) for series_id, posted in batch.counts.items()}
            else:  # some instants are stored already: stage everything and merge
                written = await points.merge(connection, first, overwrite)
        await rollups.points_changed(connection, list(batch.spans), *batch.bounds())

    await points.retried(connection, attempt)
    return written


async def delete(connection: Reader, resolved: Resolved, start: datetime, end: datetime) -> None:
    """Delete the points of the resolved selection's series in [start, end)."""
    await points.delete(connection, list(resolved.series.values()), start, end)
