"""Case 5 (disk full): the disk holding the timeseries data fills up for real. The points table
and its index are moved to a tablespace on a small tmpfs that the test mounts (24 MB, a filler
file of its own on it); writers post points until PostgreSQL fails with "No space left on device"
(SQLSTATE 53100). Writes then get a clear 503 with Retry-After, reads go on, and once the filler
file is deleted writes resume, without restarting the server; every acknowledged point is stored.

Only the tablespace of the data is on the small filesystem: the write-ahead log (pg_wal) and the
catalogs stay on the ordinary disk, since PostgreSQL stops (PANIC) when it cannot write its WAL.
Mounting needs root (CAP_SYS_ADMIN): elsewhere the case is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import Ledger, OwnPostgres, Request, make_series, report, stamp, stored_points

pytestmark = pytest.mark.xdist_group("faults-outages")

SIZE_MB, FILLER_MB = 24, 4
POINTS_PER_REQUEST = 5000
FULL_MESSAGE = "The database is out of disk space: please try again later"


@pytest.fixture
def small_disk(own_postgres: OwnPostgres) -> Iterator[tuple[Path, Path]]:
    """A tmpfs of SIZE_MB mounted in the cluster's folder: (tablespace folder, filler file)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mount = own_postgres.root / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        filler = mount / "filler"
        filler.write_bytes(b"\0" * (FILLER_MB * 2**20))
        tablespace = mount / "tablespace"
        tablespace.mkdir()
        if own_postgres.user:
            entry = pwd.getpwnam(own_postgres.user)
            os.chown(tablespace, entry.pw_uid, entry.pw_gid)
        yield tablespace, filler
    finally:
        # PostgreSQL keeps the tablespace's files open: stop it first, then always unmount.
        with contextlib.suppress(Exception):
            own_postgres.stop("immediate")
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def move_points_to(url: str, tablespace: Path) -> None:
    """The points table and its index go to a tablespace in `tablespace` (the rest stays)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE TABLESPACE small LOCATION '{tablespace}'")
        connection.execute("ALTER TABLE timeseries_data SET TABLESPACE small")
        connection.execute("ALTER INDEX pk_timeseries_data SET TABLESPACE small")


async def test_disk_full_on_write(own_postgres, small_disk, make_server):
    tablespace, filler = small_disk
    url = own_postgres.create_database("bemserver")
    server = make_server(url)
    server.start()
    move_points_to(url, tablespace)
    series = make_series(server, 3)
    writing, reading = series[:2], series[2]
    ledger = Ledger()
    stop, freed = asyncio.Event(), asyncio.Event()
    full_at: list[float] = []
    messages: set[str] = set()
    reads: dict[str, dict[int, int]] = {"before": {}, "full": {}, "after": {}}
    phase = {"now": "before"}
    acknowledged_after_free: list[float] = []

    async def writer(ts: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=120) as http:
            block = 0
            while not stop.is_set():
                first = block * POINTS_PER_REQUEST
                points = {
                    stamp(first + k): float(ts * 10_000_000 + first + k) for k in range(POINTS_PER_REQUEST)
                }
                answer = await http.post(
                    "/timeseries_data/", params={"data_state": 1}, json={str(ts): points}
                )
                ledger.record(Request(ts, points), answer.status_code)
                if answer.status_code == 503:
                    assert answer.headers.get("Retry-After"), answer.text
                    messages.add(answer.json()["message"])
                    if not full_at:
                        full_at.append(time.monotonic())
                        phase["now"] = "full"
                    await asyncio.sleep(0.2)
                elif answer.status_code < 300:
                    if freed.is_set():
                        acknowledged_after_free.append(time.monotonic())
                    block += 1  # a refused block is sent again (it is the same request)

    async def reader() -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=120) as http:
            await http.post(
                "/timeseries_data/", params={"data_state": 1}, json={str(reading): {stamp(0): 1.0}}
            )
            while not stop.is_set():
                answer = await http.get(
                    "/timeseries_data/",
                    params={
                        "timeseries": reading,
                        "data_state": 1,
                        "start_time": stamp(0),
                        "end_time": stamp(10),
                    },
                )
                seen = reads[phase["now"]]
                seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
                await asyncio.sleep(0.1)

    tasks = [asyncio.create_task(writer(ts)) for ts in writing] + [asyncio.create_task(reader())]
    started = time.monotonic()
    while not full_at and time.monotonic() < started + 300 and not any(task.done() for task in tasks):
        await asyncio.sleep(0.1)
    assert full_at, f"the disk did not fill up: {ledger.statuses}"
    await asyncio.sleep(3)  # full for a while: writers refused, readers served
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=60) as http:
        refused = await http.post(
            "/timeseries_data/",
            params={"data_state": 1},
            json={str(writing[0]): {stamp(10**7 + k): 1.0 for k in range(POINTS_PER_REQUEST)}},
        )
        assert (await http.get("/campaigns/")).status_code == 200
    assert refused.status_code == 503, refused.text
    assert refused.json()["message"] == FULL_MESSAGE
    assert refused.headers["Retry-After"]
    acknowledged_while_full = len(ledger.acknowledged)
    filler.unlink()  # space is back; the server is not restarted
    freed.set()
    freed_at = time.monotonic()
    phase["now"] = "after"
    while len(acknowledged_after_free) < 4 and time.monotonic() < freed_at + 60:
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 180)

    postgres_log = own_postgres.log.read_text(errors="replace")
    assert "No space left on device" in postgres_log, postgres_log[-3000:]
    assert set(ledger.statuses) <= {201, 503}, ledger.statuses
    assert messages == {FULL_MESSAGE}, messages
    assert reads["full"] and set(reads["full"]) == {200}, reads
    assert len(acknowledged_after_free) >= 4, "writes did not resume once space was back"
    assert server.process is not None and server.process.poll() is None, "the server died"
    figures = ledger.check(stored_points(url, writing))
    report(
        "case 5 disk full on write",
        filesystem=f"tmpfs {SIZE_MB} MB, {FILLER_MB} MB filler",
        write_statuses=ledger.statuses,
        acknowledged_before_full=acknowledged_while_full,
        reads_while_full=reads["full"],
        full_after_s=round(full_at[0] - started, 1),
        writes_resumed_within_s=round(acknowledged_after_free[0] - freed_at, 2),
        **figures,
    )
