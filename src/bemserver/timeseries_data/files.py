"""Importing a data file from the server's machine (the `bemserver data import` command): the same
reader and writer as POST /timeseries_data/, as one transaction, reporting its progress by line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bemserver.auth.caller import SYSTEM
from bemserver.db.engine import Reader
from bemserver.timeseries_data import ingest
from bemserver.timeseries_data.posted import parse_body
from bemserver.timeseries_data.report import Report
from bemserver.timeseries_data.selection import require_readable_campaign
from bemserver.timeseries_data.timestamps import LocalTimes

PROGRESS_EVERY = 10_000  # lines


class _Progress:
    """A csv reader that calls `report(lines read)` every PROGRESS_EVERY lines."""

    def __init__(self, reader: Any, report: Callable[[int], None]) -> None:
        self.reader, self.report = reader, report

    @property
    def line_num(self) -> int:
        return int(self.reader.line_num)

    def __iter__(self) -> Iterator[list[str]]:
        for count, row in enumerate(self.reader, start=1):
            if count % PROGRESS_EVERY == 0:
                self.report(self.reader.line_num)
            yield row
        self.report(self.reader.line_num)


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


async def import_file(
    connection: Reader,
    data: bytes,
    *,
    data_state: int = 1,
    campaign_id: int | None = None,
    local: LocalTimes | None = None,
    overwrite: bool = False,
    progress: Callable[[int], None] = lambda lines: None,
) -> Report:
    """Write a CSV file's points (columns named by timeseries id, or by name in `campaign_id`) as
    the system (an admin); all or nothing. JSON files are read too (no progress then)."""
    csv_text = not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    if campaign_id is not None:
        await require_readable_campaign(connection, SYSTEM, campaign_id)
    posted = parse_body(data, csv_text=csv_text, local=local)
    if posted.table is not None:
        posted.table.reader = _Progress(posted.table.reader, progress)
    return await ingest.write(
        connection, SYSTEM, posted, data_state, campaign_id=campaign_id, overwrite=overwrite
    )
