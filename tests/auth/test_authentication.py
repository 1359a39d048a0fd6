"""Request authentication: every 401 code, the 400 for a broken header, Basic, inactive users."""

import asyncio
import base64
import time

import jwt
import pytest

from tests.conftest import SECRET, TestUser, Users

PROTECTED = "/users/"


def unauthorized(code: str) -> dict:
    return {"code": 401, "status": "Unauthorized", "errors": {"authentication": code}}


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def assert_401(client, headers: dict, code: str, path: str = PROTECTED, method: str = "GET") -> None:
    response = await client.request(method, path, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == unauthorized(code)
    assert response.headers["WWW-Authenticate"] == "Bearer, Basic"


class TestMissingAuthentication:
    async def test_no_header_is_missing_authentication(self, client, users: Users):
        await assert_401(client, {}, "missing_authentication")

    async def test_empty_header_is_missing_authentication(self, client, users: Users):
        await assert_401(client, {"Authorization": ""}, "missing_authentication")

    async def test_the_401_has_no_message(self, client, users: Users):
        response = await client.get(PROTECTED)
        assert "message" not in response.json()


class TestBrokenHeader:
    @pytest.mark.parametrize("value", ["Bearer", "Basic", "Token"])
    async def test_a_header_without_a_space_is_400(self, client, users: Users, value: str):
        response = await client.get(PROTECTED, headers={"Authorization": value})
        assert response.status_code == 400
        assert response.json() == {"code": 400, "status": "Bad Request"}


class TestInvalidScheme:
    @pytest.mark.parametrize("scheme", ["Digest", "Token", "Bearers"])
    async def test_unknown_scheme(self, client, users: Users, scheme: str):
        await assert_401(client, {"Authorization": f"{scheme} {users.admin.token()}"}, "invalid_scheme")

    @pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
    async def test_scheme_names_are_case_insensitive(self, client, users: Users, scheme: str):
        """RFC 9110 11.1: curl users write `Authorization: bearer ...`."""
        response = await client.get(PROTECTED, headers={"Authorization": f"{scheme} {users.admin.token()}"})
        assert response.status_code == 200

    async def test_lowercase_basic_is_basic(self, client, users: Users):
        await assert_401(client, {"Authorization": f"basic {users.admin.token()}"}, "malformed_credentials")

    async def test_basic_is_an_invalid_scheme_when_only_bearer_is_enabled(self, client_for, users: Users):
        bearer_only = await client_for(auth_methods=["Bearer"])
        response = await bearer_only.get(PROTECTED, headers=users.admin.basic)
        assert response.status_code == 401
        assert response.json() == unauthorized("invalid_scheme")
        assert response.headers["WWW-Authenticate"] == "Bearer"


def valid_claims(user: TestUser, **changes: object) -> dict:
    """Claims the server accepts for `user`; `changes` replace some (None removes one)."""
    claims = {"sub": str(user.id), "ver": 0, "exp": int(time.time()) + 600, "type": "access"}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


class TestInvalidToken:
    """Each case differs from a valid token by one thing only: that thing is what is refused."""

    async def test_valid_claims_are_accepted(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin), SECRET, "HS256")
        assert (await client.get(PROTECTED, headers=bearer(token))).status_code == 200

    async def test_garbage(self, client, users: Users):
        await assert_401(client, bearer("not-a-jwt"), "invalid_token")

    async def test_empty_token(self, client, users: Users):
        await assert_401(client, {"Authorization": "Bearer "}, "invalid_token")

    async def test_signed_with_another_key(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin), "another secret" * 3, "HS256")
        await assert_401(client, bearer(token), "invalid_token")

    async def test_alg_none(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin), None, algorithm="none")
        await assert_401(client, bearer(token), "invalid_token")

    @pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
    @pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
    async def test_other_algorithm_with_the_right_key(self, client, users: Users, algorithm: str):
        token = jwt.encode(valid_claims(users.admin), SECRET, algorithm=algorithm)
        await assert_401(client, bearer(token), "invalid_token")

    async def test_header_claiming_hs256_over_another_signature(self, client, users: Users):
        header, payload, _ = jwt.encode(valid_claims(users.admin), SECRET, "HS256").split(".")
        other = jwt.encode(valid_claims(users.admin), SECRET + "x", "HS256").split(".")[2]
        await assert_401(client, bearer(f"{header}.{payload}.{other}"), "invalid_token")

    async def test_no_exp_is_refused(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin, exp=None), SECRET, "HS256")
        await assert_401(client, bearer(token), "invalid_token")

    async def test_unknown_user(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin, sub="999999"), SECRET, "HS256")
        await assert_401(client, bearer(token), "invalid_token")

    async def test_an_older_token_version(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin, ver=-1), SECRET, "HS256")
        await assert_401(client, bearer(token), "invalid_token")

    async def test_an_email_claim_alone_is_refused(self, client, users: Users):
        claims = {"email": users.admin.email, "exp": int(time.time()) + 600, "type": "access"}
        await assert_401(client, bearer(jwt.encode(claims, SECRET, "HS256")), "invalid_token")

    @pytest.mark.parametrize(
        "changes",
        [
            {"sub": None},
            {"ver": None},
            {"type": None},
            {"sub": 1},
            {"sub": "1\x00"},
            {"sub": "-1"},
            {"sub": "99999999999999999999"},
            {"ver": "0"},
            {"ver": True},
            {"type": "other"},
            {"type": "refresh"},
            {"exp": "tomorrow"},
            {"exp": True},
            {"fam": 42},
            {"fam": "no-such-family"},
        ],
        ids=[
            "no-sub", "no-ver", "no-type", "sub-not-text", "sub-with-nul", "sub-negative",
            "sub-huge", "ver-text", "ver-boolean", "unknown-type", "wrong-type", "exp-text",
            "exp-boolean", "family-not-text", "unknown-family",
        ],
    )  # fmt: skip
    async def test_missing_or_wrong_claims(self, client, users: Users, changes: dict):
        token = jwt.encode(valid_claims(users.admin, **changes), SECRET, "HS256")
        await assert_401(client, bearer(token), "invalid_token")

    async def test_refresh_token_on_a_normal_route(self, client, users: Users):
        await assert_401(client, bearer(users.admin.token("refresh")), "invalid_token")

    async def test_token_of_a_deleted_user(self, client, users: Users):
        token = users.active.token()
        response = await client.delete(
            f"/users/{users.active.id}", headers=users.admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 204
        await assert_401(client, bearer(token), "invalid_token")


class TestExpiredToken:
    async def test_expired_access_token(self, client, users: Users):
        await assert_401(client, bearer(users.admin.token(lifetime=-10)), "expired_token")

    async def test_expired_refresh_token(self, client, users: Users):
        await assert_401(
            client,
            bearer(users.admin.token("refresh", lifetime=-10)),
            "expired_token",
            "/auth/token/refresh",
            "POST",
        )

    async def test_the_same_token_expires_while_it_is_in_use(self, client, users: Users):
        token = jwt.encode(valid_claims(users.admin, exp=int(time.time()) + 2), SECRET, "HS256")
        assert (await client.get(PROTECTED, headers=bearer(token))).status_code == 200
        await asyncio.sleep(2.1)
        await assert_401(client, bearer(token), "expired_token")


class TestBasicAuthentication:
    async def test_basic_works_on_a_normal_route(self, client, users: Users):
        response = await client.get(PROTECTED, headers=users.admin.basic)
        assert response.status_code == 200
        assert len(response.json()) == 3

    async def test_password_may_contain_colons(self, client, users: Users):
        await client.put(
            f"/users/{users.active.id}",
            json={"name": "Active", "email": users.active.email, "password": "a:b:c"},
            headers=users.active.headers | {"If-Match": "*"},
        )
        response = await client.get(PROTECTED, headers=basic(f"{users.active.email}:a:b:c"))
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "value",
        ["!!!not base64", "Zm9v", "=====", "Y2h1Y2tAdGVzdC5jb20", "/w==", "é"],
        ids=["not-base64", "no-colon", "padding-only", "bad-padding", "not-utf8", "non-ascii"],
    )
    async def test_malformed_credentials(self, client, users: Users, value: str):
        headers = {"Authorization": ("Basic " + value).encode("latin-1")}
        await assert_401(client, headers, "malformed_credentials")

    async def test_wrong_password(self, client, users: Users):
        await assert_401(client, basic(f"{users.admin.email}:wrong"), "invalid_credentials")

    async def test_unknown_email(self, client, users: Users):
        await assert_401(client, basic("ghost@test.com:p@ssw0rd"), "invalid_credentials")

    async def test_email_with_a_nul_character(self, client, users: Users):
        await assert_401(client, basic("chuck\x00@test.com:p@ssw0rd"), "invalid_credentials")

    async def test_inactive_user_authenticates_then_gets_403(self, client, users: Users):
        response = await client.get(PROTECTED, headers=users.inactive.basic)
        assert response.status_code == 403


class TestInactiveUser:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/users/"),
            ("GET", "/users/{id}"),
            ("PUT", "/users/{id}"),
            ("DELETE", "/users/{id}"),
            ("PUT", "/users/{id}/set_active"),
            ("GET", "/user_groups/"),
            ("POST", "/user_groups/"),
            ("GET", "/users_by_user_groups/"),
        ],
    )
    async def test_inactive_user_is_forbidden(self, client, inactive: TestUser, method: str, path: str):
        body = {"value": True} if path.endswith("set_active") else None
        if method == "PUT" and body is None:
            body = {"name": "I", "email": inactive.email, "password": "x"}
        if method == "POST":
            body = {"name": "G"}
        response = await client.request(
            method,
            path.format(id=inactive.id),
            json=body,
            headers=inactive.headers | {"If-Match": "*"},
        )
        assert response.status_code == 403
        assert response.json() == {"code": 403, "status": "Forbidden", "message": "Authorization error"}

    async def test_about_still_works(self, client, inactive: TestUser):
        response = await client.get("/about/", headers=inactive.headers)
        assert response.status_code == 200


class TestPublicRoutes:
    async def test_about_needs_no_authentication(self, client):
        response = await client.get("/about/")
        assert response.status_code == 200

    async def test_about_ignores_a_bad_token(self, client):
        response = await client.get("/about/", headers=bearer("garbage"))
        assert response.status_code == 200
