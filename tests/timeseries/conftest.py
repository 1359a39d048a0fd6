"""A campaign with two scopes and one site > building > storey > space branch plus a zone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import create

ELEMENT_PATHS = {
    "site": "sites",
    "building": "buildings",
    "storey": "storeys",
    "space": "spaces",
    "zone": "zones",
}
PARENT = {"site": "campaign", "building": "site", "storey": "building", "space": "storey", "zone": "campaign"}


async def link_user_to_scope(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    user_id: int,
    scope_id: int,
    name: str = "Scope group",
) -> int:
    """Put the user in a new group linked to the campaign scope; returns the group id."""
    group = await create(client, "/user_groups/", admin_headers, name=name)
    await create(client, "/users_by_user_groups/", admin_headers, user_id=user_id, user_group_id=group["id"])
    await create(
        client,
        "/user_groups_by_campaign_scopes/",
        admin_headers,
        user_group_id=group["id"],
        campaign_scope_id=scope_id,
    )
    return group["id"]


async def add_elements(
    client: httpx.AsyncClient, headers: dict[str, str], campaign_id: int, suffix: str = ""
) -> dict[str, dict[str, Any]]:
    """One site > building > storey > space branch and one zone in the campaign."""
    made: dict[str, dict[str, Any]] = {"campaign": {"id": campaign_id}}
    for element, path in ELEMENT_PATHS.items():
        parent = PARENT[element]
        made[element] = await create(
            client,
            f"/{path}/",
            headers,
            name=f"{element.capitalize()}{suffix}",
            **{f"{parent}_id": made[parent]["id"]},
        )
    del made["campaign"]
    return made


async def new_timeseries(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    campaign_id: int,
    scope_id: int,
    name: str,
    **fields: Any,
) -> dict[str, Any]:
    return await create(
        client,
        "/timeseries/",
        headers,
        name=name,
        campaign_id=campaign_id,
        campaign_scope_id=scope_id,
        **fields,
    )


@pytest.fixture
async def campaign(client, admin) -> dict[str, Any]:
    return await create(client, "/campaigns/", admin.headers, name="Campaign", timezone="UTC")


@pytest.fixture
async def scope(client, admin, campaign) -> dict[str, Any]:
    return await create(client, "/campaign_scopes/", admin.headers, name="Scope", campaign_id=campaign["id"])


@pytest.fixture
async def other_scope(client, admin, campaign) -> dict[str, Any]:
    return await create(
        client, "/campaign_scopes/", admin.headers, name="Other scope", campaign_id=campaign["id"]
    )


@pytest.fixture
async def tree(client, admin, campaign) -> dict[str, dict[str, Any]]:
    return await add_elements(client, admin.headers, campaign["id"])
