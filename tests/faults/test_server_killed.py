"""Case 2: the server is killed (SIGKILL) while bulk and small POSTs are in flight. After a
restart every acknowledged point is stored, and each unacknowledged request is stored whole or
not at all."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.faults.conftest import Ledger, Request, make_series, report, stamp, stored_points

pytestmark = pytest.mark.xdist_group("faults-outages")

BULK, SMALL = 4000, 10  # points per request


async def writer(server, series: int, size: int, ledger: Ledger, stop: asyncio.Event) -> None:
    """Posts blocks of `size` new points to its own series until the server dies."""
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=120) as http:
        block = 0
        while not stop.is_set():
            first = block * size
            points = {stamp(first + k): float(series * 10_000_000 + first + k) for k in range(size)}
            request = Request(series, points)
            try:
                answer = await http.post(
                    "/timeseries_data/", params={"data_state": 1}, json={str(series): points}
                )
            except httpx.TransportError:  # no answer: the server died meanwhile
                ledger.record(request, None)
                return
            ledger.record(request, answer.status_code)
            block += 1


async def test_sigkill_mid_ingest(make_server, own_postgres):
    # A cluster of its own: the shared test server's connections are left to the cases of the
    # other xdist group, which may run meanwhile.
    url = own_postgres.create_database("bemserver")
    server = make_server(url)
    server.start()
    series = make_series(server, 8)
    ledger, stop = Ledger(), asyncio.Event()
    sizes = [BULK if n % 2 == 0 else SMALL for n in range(len(series))]
    tasks = [
        asyncio.create_task(writer(server, ts, size, ledger, stop))
        for ts, size in zip(series, sizes, strict=True)
    ]
    # Kill once every writer is under way and some bulk requests were acknowledged.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (
        sum(1 for request in ledger.acknowledged if len(request.points) == BULK) < 4
        or sum(1 for request in ledger.acknowledged if len(request.points) == SMALL) < 20
    ):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    server.kill()
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 150)
    assert ledger.unknown, "no request was in flight when the server was killed"
    assert set(ledger.statuses) <= {201}, ledger.statuses
    server.start()
    figures = ledger.check(stored_points(url, series))
    # The restarted server takes writes again.
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=120) as http:
        answer = await http.post(
            "/timeseries_data/", params={"data_state": 1}, json={str(series[0]): {stamp(10**6): 1.0}}
        )
        assert answer.status_code == 201
    report(
        "case 2 server SIGKILL mid-ingest",
        in_flight_at_kill=len(ledger.unknown),
        in_flight_bulk=sum(len(request.points) == BULK for request in ledger.unknown),
        **figures,
    )
