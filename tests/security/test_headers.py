"""Security headers on every answer; a strict Content-Security-Policy on the docs page."""

from __future__ import annotations

import pytest

from bemserver.docs import CONTENT_SECURITY_POLICY

EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/about/", 200),
        ("GET", "/", 200),
        ("GET", "/api-spec.json", 200),
        ("GET", "/docs-assets/explorer.js", 200),
        ("GET", "/users/", 401),
        ("GET", "/nowhere", 404),
        ("OPTIONS", "/about/", 204),
        ("HEAD", "/about/", 200),
        ("POST", "/auth/token", 422),
    ],
)
async def test_every_answer_has_the_security_headers(client, method: str, path: str, status: int):
    response = await client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status
    for name, value in EVERYWHERE.items():
        assert response.headers[name] == value


async def test_an_oversized_body_answer_has_them_too(client_for):
    small = await client_for(max_body_size=10)
    response = await small.post("/auth/token", content=b"x" * 100)
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_docs_page_has_a_strict_policy(client):
    response = await client.get("/")
    policy = response.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no other site
    assert "unsafe" not in policy
    assert directives["frame-ancestors"] == "'none'"


async def test_no_server_banner_from_the_app(client):
    response = await client.get("/about/")
    assert "server" not in response.headers
