"""Case 5: the database refuses writes (a read-only database; a full disk is answered the same
way, SQLSTATE 53100). Writes get a clear 503 with Retry-After, reads go on, and writes resume
when the database takes them again. Simulated with `default_transaction_read_only` set by
ALTER SYSTEM on a PostgreSQL of the test's own."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.faults.conftest import Ledger, Request, make_series, report, stamp, stored_points

pytestmark = pytest.mark.xdist_group("faults-outages")

READ_ONLY_FOR = 5.0


async def test_database_read_only_on_write(own_postgres, make_server):
    url = own_postgres.create_database("bemserver")
    server = make_server(url)
    server.start()
    series = make_series(server, 4)
    ledger, stop = Ledger(), asyncio.Event()
    reads: dict[str, dict[int, int]] = {"before": {}, "read-only": {}, "after": {}}
    phase = {"now": "before"}
    messages: set[str] = set()

    async def writer(ts: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=60) as http:
            block = 0
            while not stop.is_set():
                points = {stamp(block * 10 + k): float(ts * 100_000 + block * 10 + k) for k in range(10)}
                answer = await http.post(
                    "/timeseries_data/", params={"data_state": 1}, json={str(ts): points}
                )
                ledger.record(Request(ts, points), answer.status_code)
                if answer.status_code == 503:
                    assert "Retry-After" in answer.headers
                    messages.add(answer.json()["message"])
                    await asyncio.sleep(0.2)
                block += 1

    async def reader(ts: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=60) as http:
            while not stop.is_set():
                answer = await http.get(
                    "/timeseries_data/",
                    params={
                        "timeseries": ts,
                        "data_state": 1,
                        "start_time": stamp(0),
                        "end_time": stamp(10**6),
                    },
                )
                seen = reads[phase["now"]]
                seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(writer(ts)) for ts in series[:2]] + [
        asyncio.create_task(reader(ts)) for ts in series
    ]
    await asyncio.sleep(2)
    own_postgres.sql("ALTER SYSTEM SET default_transaction_read_only = on")
    own_postgres.sql("SELECT pg_reload_conf()")
    await asyncio.sleep(0.5)  # every backend has read the new setting
    phase["now"] = "read-only"
    acknowledged_before = len(ledger.acknowledged)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=60) as http:
        answer = await http.post("/campaigns/", json={"name": "during", "timezone": "UTC"})
        assert answer.status_code == 503, answer.text
        assert answer.json()["message"] == "The database accepts no writes for now: please try again later"
        assert answer.headers["Retry-After"]
        assert (await http.get("/campaigns/")).status_code == 200
    await asyncio.sleep(READ_ONLY_FOR)
    acknowledged_during = len(ledger.acknowledged) - acknowledged_before
    phase["now"] = "after"
    with psycopg_connection(own_postgres) as connection:
        connection.execute("SET default_transaction_read_only = off")
        connection.execute("ALTER SYSTEM RESET default_transaction_read_only")
        connection.execute("SELECT pg_reload_conf()")
    back = time.monotonic()
    while (
        time.monotonic() < back + 30
        and len(ledger.acknowledged) < acknowledged_before + acknowledged_during + 5
    ):
        await asyncio.sleep(0.1)
    resumed_after = time.monotonic() - back
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 90)

    assert set(ledger.statuses) <= {201, 503}, ledger.statuses
    assert acknowledged_during <= 2, "writes were acknowledged while the database was read-only"
    assert reads["read-only"] and set(reads["read-only"]) == {200}, reads
    assert messages == {"The database accepts no writes for now: please try again later"}, messages
    assert len(ledger.acknowledged) >= acknowledged_before + 5, "writes did not resume"
    figures = ledger.check(stored_points(url, series[:2]))
    report(
        "case 5 database read-only on write",
        write_statuses=ledger.statuses,
        reads_while_read_only=reads["read-only"],
        writes_resumed_within_s=round(resumed_after, 2),
        **figures,
    )


def psycopg_connection(postgres):
    import psycopg

    return psycopg.connect(postgres.url(), autocommit=True)
