"""Case 1: the database restarts under load. 16 clients write and read; PostgreSQL is stopped for
10 s, then started again. During the outage answers are 503 with Retry-After, quickly (no hang,
no 500); afterwards the server serves again by itself within 5 s; every acknowledged point is
stored and no request is half applied."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.faults.conftest import Ledger, Request, make_series, percentile, report, stamp, stored_points

pytestmark = pytest.mark.xdist_group("faults-outages")

WRITERS, READERS = 8, 8
OUTAGE = 10.0
NO_HANG = 30.0  # seconds: the longest any answer may take, outage or not
RECOVERY = 5.0  # seconds after PostgreSQL is back, every client is served again


@dataclass
class Timeline:
    answers: list[tuple[float, float, int, bool]] = field(
        default_factory=list
    )  # sent, took, status, retry-after

    def add(self, sent: float, took: float, status: int, retry_after: bool) -> None:
        self.answers.append((sent, took, status, retry_after))


async def client(
    server, series: int, write: bool, ledger: Ledger, timeline: Timeline, stop: asyncio.Event
) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=NO_HANG + 30) as http:
        block = 0
        while not stop.is_set():
            sent = time.monotonic()
            if write:
                points = {
                    stamp(block * 20 + k): float(series * 1_000_000 + block * 20 + k) for k in range(20)
                }
                answer = await http.post(
                    "/timeseries_data/", params={"data_state": 1}, json={str(series): points}
                )
                ledger.record(Request(series, points), answer.status_code)
                block += 1
            else:
                answer = await http.get(
                    "/timeseries_data/",
                    params={
                        "timeseries": series,
                        "data_state": 1,
                        "start_time": stamp(0),
                        "end_time": stamp(10**5),
                    },
                )
            timeline.add(sent, time.monotonic() - sent, answer.status_code, "Retry-After" in answer.headers)
            if answer.status_code == 503:
                await asyncio.sleep(0.2)  # a short pause, shorter than Retry-After: we measure recovery


async def test_database_restart_under_load(own_postgres, make_server):
    url = own_postgres.create_database("bemserver")
    server = make_server(url)
    server.start()
    series = make_series(server, WRITERS + READERS)
    ledger, timelines, stop = Ledger(), [Timeline() for _ in series], asyncio.Event()
    tasks = [
        asyncio.create_task(client(server, ts, n < WRITERS, ledger, timelines[n], stop))
        for n, ts in enumerate(series)
    ]
    await asyncio.sleep(3)
    stopping = time.monotonic()
    await asyncio.to_thread(own_postgres.stop, "fast")
    stopped = time.monotonic()
    await asyncio.sleep(OUTAGE)
    await asyncio.to_thread(own_postgres.start)
    back = time.monotonic()
    # Go on until every client was served after PostgreSQL came back (or a generous while).
    deadline = back + 60
    while time.monotonic() < deadline and not all(
        any(sent >= back and status < 300 for sent, _, status, _ in timeline.answers)
        for timeline in timelines
    ):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), NO_HANG + 60)

    answers = [answer for timeline in timelines for answer in timeline.answers]
    statuses: dict[int, int] = {}
    for _, _, status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    assert set(statuses) <= {200, 201, 503}, statuses
    assert all(retry for _, _, status, retry in answers if status == 503), "a 503 without Retry-After"
    longest = max(took for _, took, _, _ in answers)
    assert longest <= NO_HANG, f"an answer took {longest:.1f} s"
    unavailable = [(sent, took) for sent, took, status, _ in answers if status == 503]
    assert unavailable, "no request met the outage"
    recovered = [
        min(sent + took for sent, took, status, _ in timeline.answers if sent >= back and status < 300) - back
        for timeline in timelines
    ]
    recovery = max(recovered)
    assert recovery <= RECOVERY, f"a client was served again {recovery:.1f} s after PostgreSQL came back"
    figures = ledger.check(stored_points(url, series[:WRITERS]))
    report(
        "case 1 database restart under load",
        clients=len(series),
        statuses=statuses,
        postgres_stop_took_s=round(stopped - stopping, 2),
        outage_seen_by_clients_s=round(
            max(sent + took for sent, took in unavailable) - min(sent for sent, _ in unavailable), 2
        ),
        answer_time_503_p50_ms=round(1000 * percentile([took for _, took in unavailable], 0.5), 1),
        answer_time_503_max_ms=round(1000 * max(took for _, took in unavailable), 1),
        longest_answer_s=round(longest, 2),
        recovery_s=round(recovery, 2),
        **figures,
    )
