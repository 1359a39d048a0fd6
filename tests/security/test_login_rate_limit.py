"""POST /auth/token is rate limited per account and per client address (429 + Retry-After),
without slowing other accounts or addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bemserver.app import create_app
from tests.conftest import PASSWORD, Users, make_settings


@pytest.fixture
async def client_at(database_url: str) -> AsyncIterator[Any]:
    """`client_at(address, **settings)`: a client whose requests come from `address`."""
    apps: dict[tuple, Any] = {}
    opened: list[httpx.AsyncClient] = []

    async def build(address: str, **overrides: Any) -> httpx.AsyncClient:
        key = tuple(sorted(overrides.items()))
        if key not in apps:
            apps[key] = create_app(make_settings(**overrides), database_url)
        transport = httpx.ASGITransport(app=apps[key], client=(address, 40000))
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(http)
        return http

    yield build
    for http in opened:
        await http.aclose()
    for app in apps.values():
        await app.state.database.dispose()


LIMITS = {"login_attempts_per_account": 3, "login_attempts_per_address": 5, "login_window": 600}


async def login(client, email: str, password: str):
    return await client.post("/auth/token", json={"email": email, "password": password})


async def fail(client, email: str, times: int) -> None:
    for _ in range(times):
        response = await login(client, email, "wrong")
        assert response.json() == {"status": "failure"}


def assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 600
    assert response.json() == {
        "code": 429,
        "status": "Too Many Requests",
        "message": f"Too many failed logins: try again in {seconds} s.",
    }


class TestPerAccount:
    async def test_the_attempt_after_the_limit_is_429_even_with_the_right_password(
        self, client_at, users: Users
    ):
        client = await client_at("10.0.0.1", **LIMITS)
        await fail(client, users.active.email, 3)
        assert_429(await login(client, users.active.email, PASSWORD))
        assert_429(await login(client, users.active.email.upper(), PASSWORD))

    async def test_from_any_address(self, client_at, users: Users):
        await fail(await client_at("10.0.0.1", **LIMITS), users.active.email, 3)
        assert_429(await login(await client_at("10.0.0.2", **LIMITS), users.active.email, PASSWORD))

    async def test_other_accounts_are_not_slowed(self, client_at, users: Users):
        client = await client_at("10.0.0.1", **LIMITS)
        await fail(client, users.active.email, 3)
        other = await client_at("10.0.0.2", **LIMITS)
        assert (await login(other, users.admin.email, PASSWORD)).json()["status"] == "success"

    async def test_a_success_starts_the_account_afresh(self, client_at, users: Users):
        client = await client_at("10.0.0.1", **LIMITS)
        await fail(client, users.active.email, 2)
        assert (await login(client, users.active.email, PASSWORD)).json()["status"] == "success"
        await fail(client, users.active.email, 3)
        assert_429(await login(client, users.active.email, "wrong"))

    async def test_the_window_ends(self, client_at, users: Users, engine):
        from sqlalchemy import text

        client = await client_at("10.0.0.1", **LIMITS)
        await fail(client, users.active.email, 3)
        assert_429(await login(client, users.active.email, PASSWORD))
        async with engine.begin() as connection:  # as if the window had started 10 minutes ago
            await connection.execute(
                text("UPDATE login_failures SET window_start = now() - interval '601 s'")
            )
        assert (await login(client, users.active.email, PASSWORD)).json()["status"] == "success"

    async def test_unknown_accounts_are_limited_the_same(self, client_at, users: Users):
        client = await client_at("10.0.0.1", **LIMITS)
        await fail(client, "ghost@test.com", 3)
        assert_429(await login(client, "ghost@test.com", "wrong"))


class TestPerAddress:
    async def test_many_accounts_from_one_address(self, client_at, users: Users):
        client = await client_at("10.0.0.9", **LIMITS)
        for n in range(5):
            await fail(client, f"someone{n}@test.com", 1)
        assert_429(await login(client, users.admin.email, PASSWORD))
        other = await client_at("10.0.0.10", **LIMITS)
        assert (await login(other, users.admin.email, PASSWORD)).json()["status"] == "success"

    async def test_successes_do_not_count(self, client_at, users: Users):
        client = await client_at("10.0.0.9", **LIMITS)
        for _ in range(8):
            assert (await login(client, users.active.email, PASSWORD)).json()["status"] == "success"


async def test_concurrent_attempts_cannot_pass_the_limit(client_at, users: Users):
    import asyncio

    client = await client_at("10.0.0.1", **LIMITS)
    answers = await asyncio.gather(*(login(client, users.active.email, "wrong") for _ in range(12)))
    assert sum(answer.status_code == 200 for answer in answers) == 3
    assert sum(answer.status_code == 429 for answer in answers) == 9
