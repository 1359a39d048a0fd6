"""POST /auth/token and POST /auth/token/refresh, and the JWTs they hand out."""

import time

import jwt
import pytest

from tests.conftest import PASSWORD, SECRET, Users


def claims_of(token: str) -> dict:
    return jwt.decode(token, SECRET, algorithms=["HS256"])


async def login(client, email: str, password: str = PASSWORD):
    return await client.post("/auth/token", json={"email": email, "password": password})


class TestGetToken:
    async def test_success_returns_both_tokens_in_order(self, client, users: Users):
        response = await login(client, users.active.email)
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["status", "access_token", "refresh_token"]
        assert body["status"] == "success"
        assert "ETag" not in response.headers

    async def test_access_token_works(self, client, users: Users):
        token = (await login(client, users.active.email)).json()["access_token"]
        response = await client.get("/users/", headers={"Authorization": f"Bearer {token}"})
        assert [user["id"] for user in response.json()] == [users.active.id]

    async def test_claims_name_the_user_by_id_and_token_version(self, client, users: Users):
        body = (await login(client, users.active.email)).json()
        before = int(time.time())
        access, refresh = claims_of(body["access_token"]), claims_of(body["refresh_token"])
        assert set(access) == {"sub", "ver", "exp", "type", "fam"}
        assert set(refresh) == {"sub", "ver", "exp", "type", "fam", "jti"}
        assert access["sub"] == refresh["sub"] == str(users.active.id)
        assert access["ver"] == refresh["ver"] == 0
        assert access["fam"] == refresh["fam"]
        assert (access["type"], refresh["type"]) == ("access", "refresh")
        assert before - 5 <= access["exp"] - 900 <= before + 5
        assert before - 5 <= refresh["exp"] - 60 * 86400 <= before + 5

    async def test_header_is_hs256_jwt(self, client, users: Users):
        body = (await login(client, users.active.email)).json()
        assert jwt.get_unverified_header(body["access_token"]) == {"alg": "HS256", "typ": "JWT"}

    async def test_lifetimes_come_from_the_settings(self, client_for, users: Users):
        other = await client_for(access_token_lifetime=60, refresh_token_lifetime=120)
        body = (await login(other, users.active.email)).json()
        now = int(time.time())
        assert abs(claims_of(body["access_token"])["exp"] - (now + 60)) <= 5
        assert abs(claims_of(body["refresh_token"])["exp"] - (now + 120)) <= 5

    @pytest.mark.parametrize(
        ("email", "password"),
        [("active@test.com", "wrong"), ("ghost@test.com", PASSWORD), ("inactive@test.com", PASSWORD)],
        ids=["wrong-password", "unknown-user", "inactive-user"],
    )
    async def test_failure_is_a_200(self, client, users: Users, email: str, password: str):
        response = await login(client, email, password)
        assert response.status_code == 200
        assert response.json() == {"status": "failure"}

    async def test_bad_email_is_422(self, client, users: Users):
        response = await login(client, "not-an-email")
        assert response.status_code == 422
        assert response.json() == {
            "code": 422,
            "status": "Unprocessable Entity",
            "errors": {"json": {"email": ["Not a valid email address."]}},
        }

    async def test_missing_fields_are_422(self, client, users: Users):
        response = await client.post("/auth/token", json={})
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "email": ["Missing data for required field."],
            "password": ["Missing data for required field."],
        }

    async def test_invalid_json_is_400(self, client, users: Users):
        response = await client.post(
            "/auth/token", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json() == {
            "code": 400,
            "status": "Bad Request",
            "errors": {"json": ["Invalid JSON body."]},
        }

    async def test_needs_no_authentication_even_with_a_bad_token(self, client, users: Users):
        response = await client.post(
            "/auth/token",
            json={"email": users.active.email, "password": PASSWORD},
            headers={"Authorization": "Bearer garbage"},
        )
        assert response.json()["status"] == "success"


async def refresh(client, token: str):
    return await client.post("/auth/token/refresh", headers={"Authorization": f"Bearer {token}"})


class TestRefreshToken:
    async def test_refresh_token_as_bearer_gives_new_tokens(self, client, users: Users):
        old_refresh = (await login(client, users.active.email)).json()["refresh_token"]
        response = await refresh(client, old_refresh)
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["status", "access_token", "refresh_token"]
        assert body["status"] == "success"
        assert body["refresh_token"] != old_refresh
        assert claims_of(body["access_token"])["type"] == "access"
        assert claims_of(body["refresh_token"])["type"] == "refresh"
        again = await client.get("/users/", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert again.status_code == 200

    async def test_each_new_refresh_token_works_once(self, client, users: Users):
        token = (await login(client, users.active.email)).json()["refresh_token"]
        for _ in range(3):
            response = await refresh(client, token)
            assert response.status_code == 200
            token = response.json()["refresh_token"]

    async def test_a_refresh_token_made_outside_a_login_is_refused(self, client, users: Users):
        response = await refresh(client, users.active.token("refresh"))
        assert response.status_code == 401
        assert response.json()["errors"] == {"authentication": "invalid_token"}

    async def test_access_token_is_invalid_there(self, client, users: Users):
        response = await client.post("/auth/token/refresh", headers=users.active.headers)
        assert response.status_code == 401
        assert response.json()["errors"] == {"authentication": "invalid_token"}

    async def test_no_credentials_is_401(self, client, users: Users):
        response = await client.post("/auth/token/refresh")
        assert response.status_code == 401
        assert response.json()["errors"] == {"authentication": "missing_authentication"}
        assert response.headers["WWW-Authenticate"] == "Bearer, Basic"

    async def test_inactive_user_with_basic_credentials_is_403(self, client, users: Users):
        response = await client.post("/auth/token/refresh", headers=users.inactive.basic)
        assert response.status_code == 403
        assert response.json() == {"code": 403, "status": "Forbidden", "message": "Authorization error"}

    async def test_basic_credentials_work_too(self, client, users: Users):
        response = await client.post("/auth/token/refresh", headers=users.active.basic)
        assert response.status_code == 200
        assert response.json()["status"] == "success"


class TestBasicOnly:
    """With AUTH_METHODS=["Basic"] the token routes are not mounted at all."""

    @pytest.mark.parametrize("path", ["/auth/token", "/auth/token/refresh"])
    async def test_auth_routes_are_404(self, client_for, users: Users, path: str):
        basic_only = await client_for(auth_methods=["Basic"])
        response = await basic_only.post(path, json={"email": users.active.email, "password": PASSWORD})
        assert response.status_code == 404
        assert response.json() == {"code": 404, "status": "Not Found"}

    async def test_bearer_is_an_invalid_scheme(self, client_for, users: Users):
        basic_only = await client_for(auth_methods=["Basic"])
        response = await basic_only.get("/users/", headers=users.admin.headers)
        assert response.status_code == 401
        assert response.json()["errors"] == {"authentication": "invalid_scheme"}
        assert response.headers["WWW-Authenticate"] == "Basic"

    async def test_basic_works(self, client_for, users: Users):
        basic_only = await client_for(auth_methods=["Basic"])
        response = await basic_only.get("/users/", headers=users.admin.basic)
        assert response.status_code == 200

    async def test_spec_has_no_auth_paths_and_only_the_basic_scheme(self, client_for, users: Users):
        basic_only = await client_for(auth_methods=["Basic"])
        spec = (await basic_only.get("/api-spec.json")).json()
        assert not [path for path in spec["paths"] if path.startswith("/auth")]
        assert spec["components"]["securitySchemes"] == {
            "BasicAuthentication": {"type": "http", "scheme": "basic"}
        }
        assert spec["security"] == [{"BasicAuthentication": []}]
