"""Case 4: overload. 300 concurrent clients against one server process: the server sheds load
with 503 + Retry-After (no timeouts, no 500s), GET /about/ keeps answering quickly, and the
throughput recovers when the burst ends. /about/ is timed by a process of its own, so that the
load generator's event loop does not add to the figures."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest

from tests.faults.conftest import make_series, percentile, report, stamp
from tests.helpers import listens

pytestmark = [pytest.mark.xdist_group("faults-load"), pytest.mark.alone]

BURST_CLIENTS, CALM_CLIENTS = 300, 8
CALM, BURST = 4.0, 10.0
ABOUT_P99_BOUND = 1.0  # seconds: generous on a shared machine; the figure printed is the target's

PROBE = """
import json, sys, time, httpx
url, seconds = sys.argv[1], float(sys.argv[2])
took = []
with httpx.Client(timeout=30) as http:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter()
        try:
            status = http.get(url).status_code
        except httpx.TransportError as exc:  # no answer: counted, and the probe goes on
            status = type(exc).__name__
        took.append((time.perf_counter() - start, status))
        time.sleep(0.02)
print(json.dumps(took))
"""


async def load(
    server, series: list[int], clients: int, seconds: float, statuses: dict[int | str, int]
) -> int:
    """`clients` clients reading and writing for `seconds`; the number of 2xx answers. A request
    that got no answer (a connection reset or closed) is counted in `statuses` under the error's
    name, and that client goes on: the test fails on it afterwards, with the figures and the
    server's state printed first."""
    done = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=server.url, headers=server.headers(), timeout=60, limits=limits
    ) as http:
        end = time.monotonic() + seconds

        async def client(number: int) -> None:
            nonlocal done
            ts = series[number % len(series)]
            block = 0
            while time.monotonic() < end:
                try:
                    answer = await request(number, ts, block)
                except httpx.TransportError as exc:
                    name = type(exc).__name__
                    statuses[name] = statuses.get(name, 0) + 1
                    await asyncio.sleep(0.1)
                    continue
                if number % 2 == 0:
                    block += 1
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 503:
                    assert answer.headers.get("Retry-After"), answer.text
                    await asyncio.sleep(0.1)
                elif answer.status_code < 300:
                    done += 1

        async def request(number: int, ts: int, block: int) -> httpx.Response:
            if number % 2:
                return await http.get(
                    "/timeseries_data/",
                    params={
                        "timeseries": ts,
                        "data_state": 1,
                        "start_time": stamp(0),
                        "end_time": stamp(60),
                    },
                )
            points = {stamp(number * 100_000 + block * 5 + k): 1.0 for k in range(5)}
            return await http.post("/timeseries_data/", params={"data_state": 1}, json={str(ts): points})

        await asyncio.gather(*(client(n) for n in range(clients)))
    return done


async def test_overload_is_shed(make_server, fresh_database):
    # The server keeps idle connections 60 s (5 by default): its idle time counts from the answer
    # it sent, and a client starved of CPU may read that answer and send its next request on the
    # connection more than 5 s later, just as the server closes it, and get a reset (ReadError).
    server = make_server(fresh_database, max_concurrent_requests="32", overload_wait="0.5", keep_alive="60")
    server.start()
    series = make_series(server, 8)
    before_statuses: dict[int | str, int] = {}
    before = await load(server, series, CALM_CLIENTS, CALM, before_statuses)
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, f"{server.url}/about/", str(BURST)], stdout=subprocess.PIPE, text=True
    )
    burst_statuses: dict[int | str, int] = {}
    during = await load(server, series, BURST_CLIENTS, BURST, burst_statuses)
    about = json.loads(probe.communicate(timeout=120)[0])
    after_statuses: dict[int | str, int] = {}
    after = await load(server, series, CALM_CLIENTS, CALM, after_statuses)

    alive = server.process.poll() is None and listens(server.pid, server.port)
    about_p99 = percentile([took for took, _ in about], 0.99)
    shed = burst_statuses.get(503, 0)
    report(
        "case 4 overload",
        burst_clients=BURST_CLIENTS,
        burst_statuses=burst_statuses,
        shed_503_rate=f"{shed / max(1, sum(burst_statuses.values())):.1%}",
        ok_per_s_before=round(before / CALM),
        ok_per_s_burst=round(during / BURST),
        ok_per_s_after=round(after / CALM),
        about_p50_ms=round(1000 * percentile([took for took, _ in about], 0.5), 1),
        about_p99_ms=round(1000 * about_p99, 1),
        about_samples=len(about),
        server_alive_after=alive,
    )
    # The figures first, then the checks: a failed run still tells what it measured.
    assert alive, "the server died or stopped listening"
    assert set(burst_statuses) <= {200, 201, 503}, burst_statuses
    assert set(before_statuses) | set(after_statuses) <= {200, 201}, (before_statuses, after_statuses)
    assert {status for _, status in about} == {200}
    assert about_p99 <= ABOUT_P99_BOUND, f"/about/ p99 {about_p99 * 1000:.0f} ms"
    assert after >= 0.5 * before, (
        f"throughput did not recover: {after / CALM:.0f}/s after, {before / CALM:.0f}/s before"
    )
