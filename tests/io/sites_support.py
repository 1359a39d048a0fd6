"""Helpers of the /io/sites tests: a campaign, enabled properties, uploads and reading back."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TestUser
from tests.helpers import create

ELEMENTS = ("site", "building", "storey", "space", "zone")

# name -> value type; each is enabled for every element type by `enable_properties`
PROPERTIES = {"Area": "float", "Floors": "integer", "Heated": "boolean", "Code": "string"}


async def new_campaign(client: httpx.AsyncClient, admin: TestUser, name: str = "Campaign") -> int:
    campaign = await create(client, "/campaigns/", admin.headers, name=name, timezone="UTC")
    return int(campaign["id"])


async def enable_properties(
    client: httpx.AsyncClient, admin: TestUser, elements: tuple[str, ...] = ELEMENTS
) -> dict[str, int]:
    """Create PROPERTIES and enable them for `elements`; {name: structural element property id}."""
    ids = {}
    for name, value_type in PROPERTIES.items():
        prop = await create(
            client, "/structural_element_properties/", admin.headers, name=name, value_type=value_type
        )
        ids[name] = prop["id"]
        for element in elements:
            await create(
                client, f"/{element}_properties/", admin.headers, structural_element_property_id=prop["id"]
            )
    return ids


async def upload(
    client: httpx.AsyncClient, user: TestUser, campaign_id: Any, **files: str | bytes
) -> httpx.Response:
    """POST /io/sites with the given files (text is sent as UTF-8)."""
    body = {
        name: (f"{name}.csv", data.encode() if isinstance(data, str) else data, "text/csv")
        for name, data in files.items()
    }
    return await client.post(
        "/io/sites", params={"campaign_id": campaign_id}, files=body, headers=user.headers
    )


async def imported(
    client: httpx.AsyncClient, admin: TestUser, campaign: str = "Campaign", **files: str | bytes
) -> int:
    """A new campaign with the files imported; its id."""
    campaign_id = await new_campaign(client, admin, campaign)
    response = await upload(client, admin, campaign_id, **files)
    assert response.status_code == 201, response.text
    return campaign_id


async def listed(client: httpx.AsyncClient, admin: TestUser, element: str) -> list[dict[str, Any]]:
    response = await client.get(f"/{element}s/", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def values_of(client: httpx.AsyncClient, admin: TestUser, element: str) -> dict[tuple[str, str], str]:
    """{(element name, property name): value} of every stored value of that element type."""
    names = {item["id"]: item["name"] for item in await listed(client, admin, element)}
    response = await client.get(f"/{element}_property_data/", headers=admin.headers)
    assert response.status_code == 200, response.text
    return {
        (
            names[item[f"{element}_id"]],
            item[f"{element}_property"]["structural_element_property"]["name"],
        ): item["value"]
        for item in response.json()
    }


def content_error(response: httpx.Response) -> str:
    """The detail of an "Invalid CSV file content: ..." 422."""
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert message.startswith("Invalid CSV file content: "), message
    return message.removeprefix("Invalid CSV file content: ")
