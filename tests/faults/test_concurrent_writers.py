"""Case 3: 32 clients writing the same timestamps of the same series at once, with and without
overwrite: no 5xx, every point present, every final value one that was sent; without overwrite
the first stored value stays; with it, the last acknowledged write wins."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.faults.conftest import make_series, report, send_retrying, stamp, stored_points

pytestmark = pytest.mark.xdist_group("faults-load")

CLIENTS, ROUNDS, SERIES, STAMPS = 32, 2, 3, 60


def value(client: int, round_: int, k: int) -> float:
    return float(client * 1_000_000 + round_ * 1_000 + k)


async def storm(server, series: list[int], overwrite: bool, offset: int = 0) -> tuple[dict[int, int], dict]:
    """Every client posts every series' STAMPS timestamps ROUNDS times; returns the statuses and
    the values each acknowledged request sent, by (series, timestamp)."""
    statuses: dict[int, int] = {}
    sent: dict[tuple[int, str], set[float]] = {}
    params = {"data_state": 1, "overwrite": "true" if overwrite else "false"}

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=300) as http:
            for round_ in range(ROUNDS):
                body = {
                    str(ts): {stamp(k): value(number + offset, round_, k) for k in range(STAMPS)}
                    for ts in series
                }
                answer = await send_retrying(
                    http, "POST", "/timeseries_data/", statuses, params=params, json=body
                )
                if answer.status_code == 201:
                    for ts in series:
                        for k in range(STAMPS):
                            sent.setdefault((ts, stamp(k)), set()).add(value(number + offset, round_, k))

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return statuses, sent


@pytest.mark.parametrize("overwrite", [False, True], ids=["insert-or-ignore", "overwrite"])
async def test_concurrent_writers_on_the_same_points(make_server, fresh_database, overwrite: bool):
    server = make_server(fresh_database)
    server.start()
    series = make_series(server, SERIES)
    started = time.monotonic()
    statuses, sent = await storm(server, series, overwrite)
    elapsed = time.monotonic() - started
    assert set(statuses) <= {201, 503}, statuses  # 503: busy, sent again after Retry-After
    assert statuses[201] == CLIENTS * ROUNDS, statuses
    stored = stored_points(fresh_database, series)
    for ts in series:
        assert len(stored[ts]) == STAMPS
        for moment, kept in stored[ts].items():
            assert kept in sent[(ts, moment)], (ts, moment, kept)
    if overwrite:
        # The last acknowledged write wins: one more client, alone, writes new values.
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers(), timeout=300) as http:
            body = {str(ts): {stamp(k): -float(k) for k in range(STAMPS)} for ts in series}
            answer = await http.post(
                "/timeseries_data/", params={"data_state": 1, "overwrite": "true"}, json=body
            )
            assert answer.status_code == 201
        final = stored_points(fresh_database, series)
        assert all(final[ts] == {stamp(k): -float(k) for k in range(STAMPS)} for ts in series)
    else:
        # Insert-or-ignore keeps the first stored value: a second storm changes nothing.
        again, _ = await storm(server, series, overwrite=False, offset=CLIENTS)
        assert again.get(201) == CLIENTS * ROUNDS and set(again) <= {201, 503}, again
        assert stored_points(fresh_database, series) == stored
    report(
        f"case 3 concurrent writers ({'overwrite' if overwrite else 'insert-or-ignore'})",
        clients=CLIENTS,
        requests=sum(statuses.values()),
        statuses=statuses,
        points_sent=CLIENTS * ROUNDS * SERIES * STAMPS,
        points_checked=SERIES * STAMPS,
        seconds=round(elapsed, 2),
    )
