"""POST /events/ in one statement (events/quick.py) answers exactly as the route as declared.

Every caller and body below is posted twice: on the quick path, then with an extension hook set
(AFTER_INSERT), which sends every request down the declared route. Status, body (but the id),
the rows written and the notifications made must be the same.
"""

from __future__ import annotations

import base64
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bemserver.db.prepared import Prepared
from bemserver.events import service
from tests.conftest import PASSWORD
from tests.helpers import sql_statements
from tests.timeseries.conftest import link_user_to_scope

VALID = {
    "timestamp": "2020-01-01T00:00:00+00:00",
    "level": "WARNING",
    "campaign_scope_id": 1,
    "category_id": 1,
    "source": "gateway",
    "description": "Meter silent",
}
BODIES: dict[str, Any] = {
    "valid": VALID,
    "no description": {k: v for k, v in VALID.items() if k != "description"},
    "debug": VALID | {"level": "DEBUG"},
    "unknown category": VALID | {"category_id": 999},
    "unknown scope": VALID | {"campaign_scope_id": 999},
    "bad level": VALID | {"level": "LOUD"},
    "naive timestamp": VALID | {"timestamp": "2020-01-01T00:00:00"},
    "missing source": {k: v for k, v in VALID.items() if k != "source"},
    "extra field": VALID | {"id": 5},
    "id too large": VALID | {"category_id": 2**31},
    "NUL in source": VALID | {"source": "a\x00b"},
    "a list": [VALID],
    "not JSON": b"{not json",
    "NaN": b'{"level": NaN}',
}
CALLERS = ("admin", "member", "outsider", "inactive", "old token", "expired", "basic", "no header")


def _headers(users, caller: str) -> dict[str, str]:
    admin, member, outsider, inactive = users.admin, users.active, users.outsider, users.inactive
    token = {
        "admin": admin.token(),
        "member": member.token(),
        "outsider": outsider.token(),
        "inactive": inactive.token(),
        "old token": admin.token(version=-1),
        "expired": admin.token(lifetime=-10),
    }
    if caller in token:
        return {"Authorization": f"Bearer {token[caller]}"}
    if caller == "basic":
        raw = base64.b64encode(f"{admin.email}:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}
    return {}


async def _post(client, engine, headers: dict[str, str], body: Any) -> tuple[Any, ...]:
    if isinstance(body, bytes):
        response = await client.post(
            "/events/", content=body, headers=headers | {"Content-Type": "application/json"}
        )
    else:
        response = await client.post("/events/", json=body, headers=headers)
    answer = response.json()
    notified = 0
    if response.status_code == 201:
        event_id = answer.pop("id")
        async with engine.connect() as connection:
            notified = await connection.scalar(
                text(f"SELECT count(*) FROM notifications WHERE event_id = {event_id}")
            )
    async with engine.connect() as connection:
        events = await connection.scalar(text("SELECT count(*) FROM events"))
    return response.status_code, answer, notified, events


@pytest.fixture
async def world(client, admin, user, scope, engine, users):
    """The active user is a member of the scope; another active user is not."""
    await link_user_to_scope(client, admin.headers, user.id, scope["id"])
    async with engine.begin() as connection:
        outsider = await connection.scalar(
            text(
                "INSERT INTO users (name, email, password, is_admin, is_active)"
                " SELECT 'Outsider', 'outsider@test.com', password, false, true FROM users"
                f" WHERE id = {user.id} RETURNING id"
            )
        )
    users.outsider = type(user)(outsider, "Outsider", "outsider@test.com", False, True)
    return users


@pytest.mark.parametrize("caller", CALLERS)
async def test_the_quick_path_answers_as_the_declared_route(client, engine, world, caller, monkeypatch):
    headers = _headers(world, caller)
    for name, body in BODIES.items():
        quick = await _post(client, engine, headers, body)
        with monkeypatch.context() as patch:
            patch.setattr(service, "AFTER_INSERT", [_nothing])
            patch.setattr("bemserver.events.quick.AFTER_INSERT", [_nothing])
            declared = await _post(client, engine, headers, body)
        status, answer, notified, events = quick
        assert (status, answer, notified) == declared[:3], (caller, name)
        assert declared[3] == events + (1 if status == 201 else 0), (caller, name)


async def _nothing(*_: Any) -> None:
    return None


async def test_the_quick_path_writes_in_one_statement(client, engine, world):
    headers = _headers(world, "member")
    await _post(client, engine, headers, VALID)  # connections open, statements prepared
    with sql_statements() as statements:
        status, _, notified, _ = await _post(client, engine, headers, VALID)
    assert status == 201 and notified == 1  # the member (the admin is in no group of the scope)
    assert len([sql for sql in statements if "INSERT INTO events" in sql]) == 1
    assert "FROM users u" in statements[0]


async def test_a_refused_caller_writes_nothing_on_the_quick_path(client, engine, world):
    """The statement of an outsider inserts nothing; the declared route then answers 403."""
    headers = _headers(world, "outsider")
    with sql_statements() as statements:
        status, _, _, events = await _post(client, engine, headers, VALID)
    assert status == 403 and events == 0
    assert any("INSERT INTO events" in sql and "FROM users u" in sql for sql in statements)


async def test_an_answer_lost_after_the_commit_is_not_posted_again(client, engine, world, monkeypatch):
    """The statement committed, then its connection broke: the declared route must not insert
    the event a second time (only errors that write nothing send the request down that route)."""
    headers = _headers(world, "admin")
    real = Prepared.rows

    async def committed_then_lost(self: Prepared, *args: Any, **kwargs: Any) -> Any:
        rows = await real(self, *args, **kwargs)
        if not self.sql.startswith("WITH caller"):  # the declared route's statements run as they are
            return rows
        lost = psycopg.OperationalError("server closed the connection unexpectedly")
        raise OperationalError(self.sql, {}, lost)

    with monkeypatch.context() as patch:
        patch.setattr(Prepared, "rows", committed_then_lost)
        status, *_, events = await _post(client, engine, headers, VALID)
    assert status == 503
    assert events == 1
