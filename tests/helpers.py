"""Small helpers shared by the tests: making objects through the API and SQL."""

from __future__ import annotations

from typing import Any

import httpx


async def create(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def etag_of(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def link_user_to_campaign(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    user_id: int,
    campaign_id: int,
    name: str = "Group",
) -> int:
    """Put the user in a new group linked to the campaign; returns the group id."""
    group = await create(client, "/user_groups/", admin_headers, name=name)
    await create(client, "/users_by_user_groups/", admin_headers, user_id=user_id, user_group_id=group["id"])
    await create(
        client,
        "/user_groups_by_campaigns/",
        admin_headers,
        user_group_id=group["id"],
        campaign_id=campaign_id,
    )
    return group["id"]
