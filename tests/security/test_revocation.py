"""Losing a right voids the user's tokens at once; a refresh token used twice revokes its family;
the last active administrator stays one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.conftest import PASSWORD, TestUser, Users

IF_MATCH = {"If-Match": "*"}


async def login(client, user: TestUser, password: str = PASSWORD) -> dict[str, str]:
    body = (await client.post("/auth/token", json={"email": user.email, "password": password})).json()
    assert body["status"] == "success", body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def refresh(client, token: str):
    return await client.post("/auth/token/refresh", headers=bearer(token))


async def assert_void(client, tokens: dict[str, str]) -> None:
    """Neither the access token nor the refresh token works any more."""
    response = await client.get("/users/", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401, response.text
    assert response.json()["errors"] == {"authentication": "invalid_token"}
    response = await refresh(client, tokens["refresh_token"])
    assert response.status_code == 401, response.text
    assert response.json()["errors"] == {"authentication": "invalid_token"}


async def assert_valid(client, tokens: dict[str, str]) -> None:
    assert (await client.get("/users/", headers=bearer(tokens["access_token"]))).status_code == 200


async def make_admin(client, admin: TestUser, user: TestUser) -> None:
    response = await client.put(
        f"/users/{user.id}/set_admin", json={"value": True}, headers=admin.headers | IF_MATCH
    )
    assert response.status_code == 204


class TestLosingARightVoidsTokens:
    async def test_deactivation(self, client, users: Users):
        tokens = await login(client, users.active)
        response = await client.put(
            f"/users/{users.active.id}/set_active",
            json={"value": False},
            headers=users.admin.headers | IF_MATCH,
        )
        assert response.status_code == 204
        await assert_void(client, tokens)
        await assert_void(
            client, {"access_token": users.active.token(), "refresh_token": tokens["refresh_token"]}
        )

    async def test_reactivation_does_not_bring_old_tokens_back(self, client, users: Users):
        tokens = await login(client, users.active)
        for value in (False, True):
            await client.put(
                f"/users/{users.active.id}/set_active",
                json={"value": value},
                headers=users.admin.headers | IF_MATCH,
            )
        await assert_void(client, tokens)
        await assert_valid(client, await login(client, users.active))

    async def test_demotion(self, client, users: Users):
        await make_admin(client, users.admin, users.active)
        tokens = await login(client, users.active)
        response = await client.put(
            f"/users/{users.active.id}/set_admin",
            json={"value": False},
            headers=users.admin.headers | IF_MATCH,
        )
        assert response.status_code == 204
        await assert_void(client, tokens)

    async def test_promotion_keeps_tokens(self, client, users: Users):
        tokens = await login(client, users.active)
        await make_admin(client, users.admin, users.active)
        await assert_valid(client, tokens)

    async def test_new_password(self, client, users: Users):
        tokens = await login(client, users.active)
        body = {"name": "Active", "email": users.active.email, "password": "a new one"}
        response = await client.put(
            f"/users/{users.active.id}", json=body, headers=bearer(tokens["access_token"]) | IF_MATCH
        )
        assert response.status_code == 200
        await assert_void(client, tokens)
        await assert_valid(client, await login(client, users.active, "a new one"))

    async def test_same_password_keeps_tokens(self, client, users: Users):
        tokens = await login(client, users.active)
        body = {"name": "Renamed", "email": users.active.email, "password": PASSWORD}
        response = await client.put(
            f"/users/{users.active.id}", json=body, headers=bearer(tokens["access_token"]) | IF_MATCH
        )
        assert response.status_code == 200
        await assert_valid(client, tokens)

    async def test_deletion_and_a_new_account_with_the_same_email(self, client, users: Users):
        tokens = await login(client, users.active)
        response = await client.delete(f"/users/{users.active.id}", headers=users.admin.headers | IF_MATCH)
        assert response.status_code == 204
        await assert_void(client, tokens)
        body = {"name": "Newcomer", "email": users.active.email, "password": PASSWORD}
        assert (await client.post("/users/", json=body, headers=users.admin.headers)).status_code == 201
        await assert_void(client, tokens)

    async def test_other_users_keep_their_tokens(self, client, users: Users):
        admin_tokens = await login(client, users.admin)
        await client.put(
            f"/users/{users.active.id}/set_active",
            json={"value": False},
            headers=users.admin.headers | IF_MATCH,
        )
        await assert_valid(client, admin_tokens)


class TestRefreshTokenReuse:
    async def test_reuse_revokes_the_whole_family(self, client, users: Users):
        first = await login(client, users.active)
        second = (await refresh(client, first["refresh_token"])).json()
        replay = await refresh(client, first["refresh_token"])
        assert replay.status_code == 401
        assert replay.json()["errors"] == {"authentication": "invalid_token"}
        await assert_void(client, second)  # the newest member and its access token went too
        await assert_void(client, first)

    async def test_other_families_of_the_user_go_on(self, client, users: Users):
        phone, laptop = await login(client, users.active), await login(client, users.active)
        await refresh(client, phone["refresh_token"])
        await refresh(client, phone["refresh_token"])
        await assert_valid(client, laptop)
        assert (await refresh(client, laptop["refresh_token"])).status_code == 200


class TestLastActiveAdmin:
    @pytest.mark.parametrize(("path", "action"), [("set_active", "deactivated"), ("set_admin", "demoted")])
    async def test_cannot_lose_the_right(self, client, users: Users, path: str, action: str):
        response = await client.put(
            f"/users/{users.admin.id}/{path}", json={"value": False}, headers=users.admin.headers | IF_MATCH
        )
        assert response.status_code == 409
        assert response.json() == {
            "code": 409,
            "status": "Conflict",
            "message": f"The last active administrator cannot be {action}: "
            "make another user an active administrator first.",
        }
        await assert_valid(client, {"access_token": users.admin.token()})

    async def test_cannot_be_deleted(self, client, users: Users):
        response = await client.delete(f"/users/{users.admin.id}", headers=users.admin.headers | IF_MATCH)
        assert response.status_code == 409
        assert "last active administrator cannot be deleted" in response.json()["message"]

    async def test_an_inactive_admin_does_not_count(self, client, users: Users):
        await make_admin(client, users.admin, users.inactive)
        response = await client.delete(f"/users/{users.admin.id}", headers=users.admin.headers | IF_MATCH)
        assert response.status_code == 409

    async def test_with_another_active_admin_it_can(self, client, users: Users):
        await make_admin(client, users.admin, users.active)
        response = await client.put(
            f"/users/{users.admin.id}/set_admin",
            json={"value": False},
            headers=users.admin.headers | IF_MATCH,
        )
        assert response.status_code == 204
        other = TestUser(users.active.id, "Active", users.active.email, True, True)
        response = await client.delete(f"/users/{users.admin.id}", headers=bearer(other.token()) | IF_MATCH)
        assert response.status_code == 204

    async def test_two_admins_removing_each_other_at_once_leave_one(self, client, engine, users: Users):
        await make_admin(client, users.admin, users.active)
        other = TestUser(users.active.id, "Active", users.active.email, True, True)
        answers = await asyncio.gather(
            client.put(
                f"/users/{users.active.id}/set_active",
                json={"value": False},
                headers=users.admin.headers | IF_MATCH,
            ),
            client.put(
                f"/users/{users.admin.id}/set_active",
                json={"value": False},
                headers=bearer(other.token()) | IF_MATCH,
            ),
        )
        assert sorted(answer.status_code for answer in answers) in ([204, 409], [204, 401], [204, 403])
        async with engine.connect() as connection:
            left = await connection.scalar(text("SELECT count(*) FROM users WHERE is_admin AND is_active"))
        assert left == 1
