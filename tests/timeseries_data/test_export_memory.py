"""Exporting 5 million points streams: a real server's memory grows by less than 200 MB meanwhile."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text

from tests.conftest import SECRET, wait_until
from tests.helpers import free_port

POINTS = 5_000_000
LIMIT = 200 * 1024 * 1024


@contextlib.contextmanager
def _server(database_url: str, folder: Path) -> Iterator[tuple[str, psutil.Process]]:
    """`bemserver serve` on the test database, in a process of its own."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    env |= {
        "BEMSERVER_DATABASE_URL": database_url,
        "BEMSERVER_SECRET_KEY": SECRET,
        "BEMSERVER_AUTH_METHODS": "Bearer",
        "BEMSERVER_DATA_DIR": str(folder),
        "BEMSERVER_LOG_LEVEL": "warning",
    }
    command = [str(Path(sys.executable).parent / "bemserver"), "serve", "--port", str(port)]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(base + "/about/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        assert wait_until(up, timeout=60), "the server did not start"
        yield base, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


class _PeakMemory:
    """Samples a process tree's resident memory every 50 ms in a thread."""

    def __init__(self, process: psutil.Process) -> None:
        self.process, self.peak, self._stop = process, _rss(process), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss(self.process))

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
async def test_exporting_five_million_points_streams(world, engine, database_url, tmp_path):
    async with engine.begin() as connection:
        series = (
            await connection.execute(
                text(
                    "INSERT INTO timeseries_by_data_states (timeseries_id, data_state_id) VALUES (:ts, 1) RETURNING id"
                ),
                {"ts": world.ts[0]},
            )
        ).scalar_one()
        await connection.execute(
            text(
                "INSERT INTO timeseries_data (series_id, timestamp, value)"
                " SELECT :s, timestamptz '2000-01-01 00:00:00+00' + i * interval '1 minute', i / 4.0"
                " FROM generate_series(0, :n - 1) AS i"
            ),
            {"s": series, "n": POINTS},
        )
    params = {
        "timeseries": world.ts[0],
        "start_time": "2000-01-01T00:00:00+00:00",
        "end_time": "2020-01-01T00:00:00+00:00",
        "data_state": 1,
    }
    for accept, separator in (("application/json", b","), ("text/csv", b"\n")):
        # A fresh server per format: memory freed after the first export would hide the second's.
        with (
            _server(database_url, tmp_path) as (base, process),
            httpx.Client(base_url=base, headers=world.admin.headers, timeout=600) as http,
        ):
            before, received, separators = _rss(process), 0, 0
            started = time.perf_counter()
            with (
                _PeakMemory(process) as memory,
                http.stream(
                    "GET", "/timeseries_data/", params=params, headers={"Accept": accept}
                ) as response,
            ):
                assert response.status_code == 200
                for chunk in response.iter_raw():
                    received += len(chunk)
                    separators += chunk.count(separator)
            elapsed = time.perf_counter() - started
            growth = memory.peak - before
            figures = (
                f"{accept}: {received / 1e6:.0f} MB in {elapsed:.1f} s, server memory +{growth / 1e6:.0f} MB"
            )
            logging.getLogger(__name__).warning(figures)
            assert separators == (POINTS - 1 if accept == "application/json" else POINTS + 1), figures
            assert growth < LIMIT, figures
