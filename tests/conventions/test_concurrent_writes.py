"""Concurrent PUT and DELETE of one row: If-Match holds (one winner), and none is a 500."""

from __future__ import annotations

import asyncio

from tests.conftest import Users


async def _scope(client, users: Users) -> tuple[str, str]:
    campaign = await client.post(
        "/campaigns/", json={"name": "C", "timezone": "UTC"}, headers=users.admin.headers
    )
    scope = await client.post(
        "/campaign_scopes/",
        json={"name": "S", "campaign_id": campaign.json()["id"]},
        headers=users.admin.headers,
    )
    return f"/campaign_scopes/{scope.json()['id']}", scope.headers["ETag"]


async def test_one_etag_lets_one_of_concurrent_puts_through(client, users: Users):
    path, etag = await _scope(client, users)
    headers = users.admin.headers | {"If-Match": etag}
    answers = await asyncio.gather(
        *(client.put(path, json={"name": f"S{i}"}, headers=headers) for i in range(8))
    )
    assert sorted(answer.status_code for answer in answers) == [200] + [412] * 7


async def test_one_etag_lets_one_of_concurrent_deletes_through(client, users: Users):
    path, etag = await _scope(client, users)
    headers = users.admin.headers | {"If-Match": etag}
    answers = await asyncio.gather(*(client.delete(path, headers=headers) for _ in range(6)))
    assert sorted(answer.status_code for answer in answers) == [204] + [404] * 5  # gone: 404 comes first


async def test_puts_racing_a_delete_are_200_or_404(client, users: Users):
    for _ in range(5):
        path, _etag = await _scope(client, users)
        headers = users.admin.headers | {"If-Match": "*"}
        answers = await asyncio.gather(
            client.put(path, json={"name": "A"}, headers=headers),
            client.delete(path, headers=headers),
            client.put(path, json={"name": "B"}, headers=headers),
            client.put(path, json={"name": "C"}, headers=headers),
        )
        codes = [answer.status_code for answer in answers]
        assert codes[1] == 204
        assert set(codes[::2] + codes[3:]) <= {200, 404}, codes
        await client.delete(path.replace("campaign_scopes", "campaigns"), headers=headers)


async def test_set_flag_racing_the_deletion_of_the_user(client, users: Users):
    for i in range(5):
        created = await client.post(
            "/users/",
            json={"name": "U", "email": f"u{i}@example.org", "password": "x"},
            headers=users.admin.headers,
        )
        path = f"/users/{created.json()['id']}"
        headers = users.admin.headers | {"If-Match": "*"}
        answers = await asyncio.gather(
            client.put(f"{path}/set_admin", json={"value": True}, headers=headers),
            client.delete(path, headers=headers),
            client.put(f"{path}/set_active", json={"value": False}, headers=headers),
        )
        codes = [answer.status_code for answer in answers]
        assert codes[1] == 204
        assert {codes[0], codes[2]} <= {204, 404}, codes
