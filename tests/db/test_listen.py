"""LISTEN/NOTIFY (db/listen.py): publishing on commit, one listener fanning out, reconnection."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.db import listen
from bemserver.db.listen import Listener, ListenerUnavailable, payloads, publish

CHANNEL = "bemserver_test_channel"


@pytest.fixture
async def listener(database_url: str):
    found = Listener(database_url)
    yield found
    await found.close()


async def _ids(subscription, timeout: float = 5.0) -> list[int]:
    ids = await subscription.next(timeout)
    assert ids is not None, "nothing received in time"
    return ids


def test_payloads_stay_under_the_notify_limit():
    rows = [(2**31 - 1 - n, 2**31 - 1) for n in range(1000)]
    chunks = payloads(rows)
    assert len(chunks) == 4
    assert all(len(chunk.encode()) < 8000 for chunk in chunks)


async def test_rows_published_in_a_transaction_arrive_on_commit_only(engine: AsyncEngine, listener):
    subscription = await listener.subscribe(CHANNEL)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await publish(connection, CHANNEL, [(1, 7)])
        await transaction.rollback()
        async with connection.begin():
            await publish(connection, CHANNEL, [(2, 7), (3, 8)])
    assert await _ids(subscription) == [2, 3]
    assert subscription.queue.empty()


async def test_subscribers_get_the_rows_of_their_key(engine: AsyncEngine, listener):
    mine = await listener.subscribe(CHANNEL, key=7)
    every = await listener.subscribe(CHANNEL)
    async with engine.begin() as connection:
        await publish(connection, CHANNEL, [(1, 7), (2, 8), (3, 7)])
    assert await _ids(mine) == [1, 3]
    assert await _ids(every) == [1, 2, 3]
    assert listener.subscriber_count == 2
    listener.unsubscribe(mine)
    assert listener.subscriber_count == 1


async def test_a_full_queue_marks_the_subscription_missed_and_stays_bounded(engine: AsyncEngine, listener):
    slow = await listener.subscribe(CHANNEL, size=3)
    async with engine.connect() as connection:
        for n in range(10):
            async with connection.begin():
                await publish(connection, CHANNEL, [(n, None)])
    await asyncio.sleep(0.5)
    assert slow.missed
    assert slow.queue.qsize() == 3


async def test_the_listener_reconnects_after_its_backend_is_terminated(
    engine: AsyncEngine, listener, database_url: str
):
    subscription = await listener.subscribe(CHANNEL)
    first_pid = listener.backend_pid
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
    # Told that notifications may have been lost while it was away...
    for _ in range(100):
        if subscription.missed and listener.backend_pid not in (None, first_pid):
            break
        await asyncio.sleep(0.1)
    assert subscription.missed
    assert listener.connections == 2
    subscription.missed = False
    subscription.drain()
    # ...and listening again.
    async with engine.begin() as connection:
        await publish(connection, CHANNEL, [(5, None)])
    assert await _ids(subscription) == [5]


async def test_a_second_channel_is_listened_to_before_subscribe_returns(engine: AsyncEngine, listener):
    await listener.subscribe(CHANNEL)
    other = await listener.subscribe(CHANNEL + "_other")
    async with engine.begin() as connection:
        await publish(connection, CHANNEL + "_other", [(9, None)])
    assert await _ids(other) == [9]


async def test_close_ends_the_subscriptions(listener):
    subscription = await listener.subscribe(CHANNEL)
    await listener.close()
    assert subscription.closed
    assert await subscription.next(1.0) == []
    assert listener.subscriber_count == 0


async def test_subscribe_gives_up_when_the_database_is_unreachable(monkeypatch):
    monkeypatch.setattr(listen, "CONNECT_TIMEOUT", 0.3)
    unreachable = Listener("postgresql://postgres@127.0.0.1:1/nothing")
    try:
        with pytest.raises(ListenerUnavailable):
            await unreachable.subscribe(CHANNEL)
        assert unreachable.subscriber_count == 0
    finally:
        await unreachable.close()
