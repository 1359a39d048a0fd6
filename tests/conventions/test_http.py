"""App-wide HTTP behaviour: unknown routes, trailing slashes, HEAD, OPTIONS, 500, headers, CORS."""

import httpx
import pytest

from bemserver import __version__
from bemserver.app import create_app
from tests.conftest import Users, make_settings


async def test_unknown_route_is_a_json_404(client, users: Users):
    response = await client.get("/no/such/route", headers=users.admin.headers)
    assert response.status_code == 404
    assert response.json() == {"code": 404, "status": "Not Found"}


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_collection_without_trailing_slash_redirects(client, users: Users, method):
    response = await client.request(method, "/users", headers=users.admin.headers)
    assert response.status_code == 307
    assert response.headers["Location"].endswith("/users/")


async def test_item_with_trailing_slash_redirects(client, users: Users):
    response = await client.get(f"/users/{users.admin.id}/", headers=users.admin.headers)
    assert response.status_code == 307
    assert response.headers["Location"].endswith(f"/users/{users.admin.id}")


async def test_head_has_the_get_headers_and_no_body(client, users: Users):
    get = await client.get("/users/", headers=users.admin.headers)
    head = await client.head("/users/", headers=users.admin.headers)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


async def test_head_needs_authentication_like_get(client, users: Users):
    response = await client.head("/users/")
    assert response.status_code == 401
    assert response.content == b""


async def test_options_lists_the_allowed_methods(client):
    response = await client.options("/users/")
    assert response.status_code == 204
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    item = await client.options("/users/1")
    assert item.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PUT"


async def test_options_on_an_unknown_route_is_404(client):
    response = await client.options("/no/such/route")
    assert response.status_code == 404


async def test_every_response_names_the_server_version(client, users: Users):
    for response in (
        await client.get("/about/"),
        await client.get("/users/"),
        await client.get("/no/such/route"),
        await client.get("/users/", headers=users.admin.headers),
    ):
        assert response.headers["X-BEMServer-Version"] == __version__


async def test_an_unexpected_error_is_a_bare_500(database_url):
    failing_app = create_app(make_settings(), database_url)

    @failing_app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("unexpected")

    transport = httpx.ASGITransport(app=failing_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/boom")
    await failing_app.state.database.dispose()
    assert response.status_code == 500
    assert response.json() == {"code": 500, "status": "Internal Server Error"}


async def test_cors_when_origins_are_configured(client_for, users: Users):
    other = await client_for(cors_origins=["https://ui.example.org"])
    preflight = await other.options(
        "/users/",
        headers={"Origin": "https://ui.example.org", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://ui.example.org"
    simple = await other.get("/users/", headers=users.admin.headers | {"Origin": "https://ui.example.org"})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://ui.example.org"
    assert {"etag", "x-pagination"} <= {
        name.strip().lower() for name in simple.headers["Access-Control-Expose-Headers"].split(",")
    }


async def test_no_cors_headers_by_default(client, users: Users):
    response = await client.get("/users/", headers=users.admin.headers | {"Origin": "https://ui.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_a_nul_character_is_a_422_not_a_500(client, users: Users):
    created = await client.post(
        "/users/",
        json={"name": "a\x00b", "email": "nul@test.com", "password": "x"},
        headers=users.admin.headers,
    )
    assert created.status_code == 422
    assert created.json()["message"].startswith("Invalid value:")
    listed = await client.get("/users/", params={"name": "a\x00b"}, headers=users.admin.headers)
    assert listed.status_code == 422


async def test_a_body_that_is_not_json_is_a_422(client, users: Users):
    response = await client.post(
        "/user_groups/",
        content=b'{"name": "G"}',
        headers=users.admin.headers | {"Content-Type": "text/plain"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"json": {"_schema": ["Invalid input type."]}}


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "1", "yes", "on", "tRue"])
async def test_query_booleans_are_read_case_insensitively(client, users: Users, value):
    response = await client.get("/users/", params={"is_admin": value}, headers=users.admin.headers)
    assert response.status_code == 200
    assert [user["name"] for user in response.json()] == ["Chuck"]
