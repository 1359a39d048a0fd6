"""/notifications/: the user's own, their nested event, counts by campaign, marking them read."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from tests.events.conftest import new_event
from tests.jobs.conftest import eventually, start_worker  # noqa: F401
from tests.timeseries.conftest import link_user_to_scope


@pytest.fixture
async def told(client, admin, user, scope, foreign_scope) -> dict[str, list[dict]]:
    """The user, member of `scope` and of `foreign_scope`, told of 3 events in the first campaign
    and 1 in the other; the admin (no member) is told of nothing."""
    await link_user_to_scope(client, admin.headers, user.id, scope["id"])
    await link_user_to_scope(client, admin.headers, user.id, foreign_scope["id"], name="Foreign group")
    events = {"campaign": [], "other": []}
    for hour in range(3):
        events["campaign"].append(
            await new_event(
                client,
                admin.headers,
                scope["id"],
                level="ERROR",
                timestamp=f"2020-01-0{hour + 1}T00:00:00+00:00",
            )
        )
    events["other"].append(await new_event(client, admin.headers, foreign_scope["id"], level="CRITICAL"))
    return events


async def mine(client, who, **params) -> list[dict]:
    response = await client.get("/notifications/", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def counts(client, who, user_id: int, **params) -> dict:
    response = await client.get(
        "/notifications/count_by_campaign", params={"user_id": user_id, **params}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestNotifications:
    async def test_fields_and_nested_event(self, client, user, told):
        found = await mine(client, user)
        assert len(found) == 4
        first = found[0]
        assert list(first) == ["id", "event", "user_id", "event_id", "timestamp", "read"]
        event = told["campaign"][0]
        assert first["event"] == {k: v for k, v in event.items() if k != "id"}
        assert first["read"] is False

    async def test_filters(self, client, user, campaign, told):
        assert len(await mine(client, user, campaign_id=campaign["id"])) == 3
        assert len(await mine(client, user, event_id=told["other"][0]["id"])) == 1
        assert len(await mine(client, user, read=True)) == 0
        assert len(await mine(client, user, sort="-timestamp")) == 4

    async def test_each_user_sees_their_own(self, client, admin, user, told):
        assert await mine(client, admin, user_id=admin.id) == []
        [one, *_] = await mine(client, user)
        response = await client.get(f"/notifications/{one['id']}", headers=user.headers)
        assert response.status_code == 200
        assert "ETag" in response.headers

    async def test_put_marks_read_without_if_match(self, client, admin, user, told):
        [one, *_] = await mine(client, user)
        response = await client.put(f"/notifications/{one['id']}", json={"read": True}, headers=user.headers)
        assert response.status_code == 200
        assert response.json()["read"] is True
        response = await client.put(f"/notifications/{one['id']}", json={}, headers=user.headers)
        assert response.status_code == 422
        response = await client.put(
            f"/notifications/{one['id']}", json={"read": True, "user_id": admin.id}, headers=user.headers
        )
        assert response.status_code == 422

    async def test_others_notifications_are_403(self, client, admin, user, told, engine):
        from tests.events.conftest import add_user

        stranger_id = await add_user(engine, "stranger")
        [one, *_] = await mine(client, user)
        made = await client.post(
            "/notifications/",
            json={"user_id": stranger_id, "event_id": one["event_id"], "timestamp": one["timestamp"]},
            headers=admin.headers,
        )
        assert made.status_code == 201
        theirs = made.json()["id"]
        assert (await client.get(f"/notifications/{theirs}", headers=user.headers)).status_code == 403
        response = await client.put(f"/notifications/{theirs}", json={"read": True}, headers=user.headers)
        assert response.status_code == 403

    async def test_only_admins_post_and_delete(self, client, admin, user, told):
        [one, *_] = await mine(client, user)
        body = {"user_id": user.id, "event_id": one["event_id"], "timestamp": one["timestamp"]}
        assert (await client.post("/notifications/", json=body, headers=user.headers)).status_code == 403
        assert (await client.delete(f"/notifications/{one['id']}", headers=user.headers)).status_code == 403
        assert (await client.delete(f"/notifications/{one['id']}", headers=admin.headers)).status_code == 204

    async def test_an_unknown_event_is_409(self, client, admin, user):
        body = {"user_id": user.id, "event_id": 999, "timestamp": "2020-01-01T00:00:00+00:00"}
        response = await client.post("/notifications/", json=body, headers=admin.headers)
        assert response.status_code == 409
        assert response.json()["message"] == "Foreign key constraint violation"


class TestCounts:
    async def test_by_campaign_in_campaign_order(self, client, user, campaign, other_campaign, told):
        assert await counts(client, user, user.id) == {
            "total": 4,
            "campaigns": [
                {"campaign_id": campaign["id"], "campaign_name": "Campaign", "count": 3},
                {"campaign_id": other_campaign["id"], "campaign_name": "Other", "count": 1},
            ],
        }
        assert await counts(client, user, user.id, read=True) == {"total": 0, "campaigns": []}

    async def test_etag_and_304(self, client, user, told):
        response = await client.get(
            "/notifications/count_by_campaign", params={"user_id": user.id}, headers=user.headers
        )
        again = await client.get(
            "/notifications/count_by_campaign",
            params={"user_id": user.id},
            headers=user.headers | {"If-None-Match": response.headers["ETag"]},
        )
        assert again.status_code == 304

    async def test_mark_all_as_read_in_one_campaign_then_all(
        self, client, user, campaign, other_campaign, told
    ):
        response = await client.put(
            "/notifications/mark_all_as_read",
            params={"user_id": user.id, "campaign_id": campaign["id"]},
            headers=user.headers,
        )
        assert response.status_code == 204
        assert (await counts(client, user, user.id, read=False))["campaigns"] == [
            {"campaign_id": other_campaign["id"], "campaign_name": "Other", "count": 1}
        ]
        await client.put("/notifications/mark_all_as_read", params={"user_id": user.id}, headers=user.headers)
        assert (await counts(client, user, user.id, read=True))["total"] == 4

    async def test_another_users_counts_and_marks_are_403_unknown_users_404(self, client, admin, user, told):
        for method, path in (("GET", "count_by_campaign"), ("PUT", "mark_all_as_read")):
            response = await client.request(
                method, f"/notifications/{path}", params={"user_id": admin.id}, headers=user.headers
            )
            assert response.status_code == 403
            response = await client.request(
                method, f"/notifications/{path}", params={"user_id": 9999}, headers=admin.headers
            )
            assert response.status_code == 404
            response = await client.request(method, f"/notifications/{path}", headers=user.headers)
            assert response.status_code == 422
            assert response.json()["errors"] == {"query": {"user_id": ["Missing data for required field."]}}


KEPT = """
SELECT user_id, campaign_id, read, sum(count) FROM (
    SELECT user_id, campaign_id, read, count FROM notification_counts
    UNION ALL
    SELECT n.user_id, n.campaign_id, n.read, count(*) FROM notification_counts_pending AS p
    JOIN notifications AS n ON n.id BETWEEN p.first_id AND p.last_id AND n.event_id = p.event_id
    GROUP BY 1, 2, 3
) AS kept GROUP BY 1, 2, 3 HAVING sum(count) > 0 ORDER BY 1, 2, 3
"""


async def direct_and_kept_counts(engine, fold: bool = False) -> tuple[list, list]:
    """A count of the rows, and what the counts say: notification_counts plus the rows of pending
    batches; with `fold`, the batches folded first and notification_counts alone."""
    async with engine.begin() as connection:
        if fold:
            await connection.execute(text("SELECT fold_notification_counts()"))
            assert not await connection.scalar(text("SELECT count(*) FROM notification_counts_pending"))
        direct = await connection.execute(
            text(
                "SELECT user_id, campaign_id, read, count(*) FROM notifications "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )
        )
        kept = await connection.execute(text(KEPT))
        return [tuple(row) for row in direct], [tuple(row) for row in kept]


@pytest.mark.parametrize("fold", [False, True], ids=["pending", "folded"])
async def test_the_kept_counts_follow_every_write(
    client, admin, user, campaign, other_campaign, told, engine, fold
):
    """Triggers keep notification_counts plus the pending batches equal to a count of the rows:
    after the fan-out, a PUT, mark_all_as_read, a DELETE, an event's deletion (cascade) and a
    campaign's; on rows of batches still pending, or folded before each write. Folded at the end,
    notification_counts alone is right."""

    async def same() -> list:
        direct, kept = await direct_and_kept_counts(engine, fold)
        assert direct == kept
        return kept

    assert sum(row[3] for row in await same()) == 4
    [one, two, *_] = await mine(client, user)
    await client.put(f"/notifications/{one['id']}", json={"read": True}, headers=user.headers)
    await client.put(f"/notifications/{one['id']}", json={"read": True}, headers=user.headers)
    await same()
    await client.delete(f"/notifications/{two['id']}", headers=admin.headers)
    await same()
    await client.delete(f"/events/{told['campaign'][2]['id']}", headers=admin.headers | {"If-Match": "*"})
    await same()
    await client.put("/notifications/mark_all_as_read", params={"user_id": user.id}, headers=user.headers)
    await same()
    await client.delete(f"/campaigns/{other_campaign['id']}", headers=admin.headers | {"If-Match": "*"})
    assert [row[1:] for row in await same()] == [(campaign["id"], True, 1)]
    assert await counts(client, user, user.id) == {
        "total": 1,
        "campaigns": [{"campaign_id": campaign["id"], "campaign_name": "Campaign", "count": 1}],
    }
    direct, kept = await direct_and_kept_counts(engine, fold=True)
    assert direct == kept


async def test_deleting_a_user_deletes_their_notifications(user, told, engine):
    """No foreign key to users (a fan-out would lock each user's row): a trigger does the cascade."""
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    direct, kept = await direct_and_kept_counts(engine)
    assert direct == kept == []


ANY = {"If-Match": "*"}


async def orphans(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(
            text("SELECT count(*) FROM notifications WHERE event_id NOT IN (SELECT id FROM events)")
        )


async def test_deleting_events_deletes_their_notifications(
    client, admin, user, campaign, other_campaign, told, engine
):
    """No foreign key on notifications.event_id (migration 0016): a trigger on events does the
    cascade, for an event deleted alone, by a statement deleting several, and through a campaign."""
    first, second, third = told["campaign"]
    assert (await client.delete(f"/events/{first['id']}", headers=admin.headers | ANY)).status_code == 204
    assert await mine(client, user, event_id=first["id"]) == []
    assert len(await mine(client, user)) == 3
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM events WHERE id IN (:a, :b)"), {"a": second["id"], "b": third["id"]}
        )
    assert [found["event_id"] for found in await mine(client, user)] == [told["other"][0]["id"]]
    assert (
        await client.delete(f"/campaigns/{other_campaign['id']}", headers=admin.headers | ANY)
    ).status_code == 204
    assert await mine(client, user) == []
    assert await orphans(engine) == 0
    direct, kept = await direct_and_kept_counts(engine)
    assert direct == kept == []


async def test_a_notification_posted_meanwhile_goes_with_its_event(user, told, engine):
    """POST /notifications/ locks its event as a key check would: a deletion of the event that
    comes while the POST's transaction is open waits for it, then deletes its notification too."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from bemserver.events import models as m
    from bemserver.events.notifications import NOTIFICATIONS

    event = told["campaign"][0]
    values = {"user_id": user.id, "event_id": event["id"], "timestamp": event["timestamp"], "read": False}
    async with AsyncSession(engine) as session, session.begin():
        assert NOTIFICATIONS.hooks.before_write is not None
        values = await NOTIFICATIONS.hooks.before_write(session, None, values, None)  # type: ignore[arg-type]
        await session.execute(m.Notification.__table__.insert().values(**values))

        async def delete() -> None:
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": event["id"]})

        deleting = asyncio.ensure_future(delete())
        await asyncio.sleep(0.3)
        assert not deleting.done()  # waits for the POST's transaction
    await asyncio.wait_for(deleting, 10)
    assert await orphans(engine) == 0
    direct, kept = await direct_and_kept_counts(engine)
    assert direct == kept


async def test_a_post_for_an_event_being_deleted_is_409(client, admin, user, told, engine):
    """The other order: the deletion holds the event when the POST comes; the POST waits for it,
    then finds no event (409), and no notification is left without its event."""
    event = told["campaign"][0]
    body = {"user_id": user.id, "event_id": event["id"], "timestamp": event["timestamp"]}
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": event["id"]})
        posting = asyncio.ensure_future(client.post("/notifications/", json=body, headers=admin.headers))
        await asyncio.sleep(0.3)
        assert not posting.done()
        await transaction.commit()
    response = await asyncio.wait_for(posting, 10)
    assert response.status_code == 409, response.text
    assert await orphans(engine) == 0


async def _waits_for_a_lock(url: str, connection) -> None:
    """Until `connection` waits for a row lock (deterministic, unlike a sleep)."""
    pid = connection.info.backend_pid
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as observer:
        for _ in range(200):
            cursor = await observer.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
            )
            if (await cursor.fetchone()) == ("Lock",):
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the statement did not wait for a lock")


@pytest.mark.parametrize("first", ["update", "fold"])
async def test_a_fold_and_an_update_of_its_batch_at_once_keep_the_counts_exact(
    user, told, engine, database_url, first
):
    """mark-as-read on rows of a pending batch while the job folds it: whichever locks the batch
    first, the other waits for its commit, and the counts end equal to the rows."""
    update = f"UPDATE notifications SET read = true WHERE user_id = {user.id}"
    fold = "SELECT fold_notification_counts()"
    async with (
        await psycopg.AsyncConnection.connect(database_url) as updater,
        await psycopg.AsyncConnection.connect(database_url) as folder,
    ):
        one, other = (updater, folder) if first == "update" else (folder, updater)
        await one.execute(update if first == "update" else fold)
        waiting = asyncio.create_task(other.execute(fold if first == "update" else update))
        await _waits_for_a_lock(database_url, other)
        await one.commit()
        await waiting
        await other.commit()
    direct, kept = await direct_and_kept_counts(engine)
    assert direct == kept
    assert all(read for _, _, read, _ in direct)
    direct, kept = await direct_and_kept_counts(engine, fold=True)
    assert direct == kept


async def _fold_state(engine) -> tuple[int, int, int]:
    """(fold jobs waiting, pending batches, rows of notification_counts)."""
    async with engine.connect() as connection:
        row = await connection.execute(
            text(
                "SELECT (SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'fold_notification_counts'"
                " AND status = 'todo'), (SELECT count(*) FROM notification_counts_pending),"
                " (SELECT count(*) FROM notification_counts)"
            )
        )
        return tuple(row.one())  # type: ignore[return-value]


async def test_inserts_leave_the_counts_to_one_fold_job(told, engine, start_worker):  # noqa: F811
    """Four fan-outs: four pending batches, one fold job waiting, notification_counts untouched;
    a worker folds them all."""
    assert await _fold_state(engine) == (1, 4, 0)
    await start_worker(make_settings())

    async def folded() -> bool:
        return (await _fold_state(engine))[:2] == (0, 0)

    await eventually(folded, timeout=30)
    direct, kept = await direct_and_kept_counts(engine)
    assert direct == kept and sum(row[3] for row in kept) == 4
