"""Helpers of the /io/timeseries tests: a campaign with scopes and a building model, uploads, reading back."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TestUser
from tests.helpers import create

HEADER = "Name,Description,Unit,Campaign scope,Site,Building,Storey,Space,Zone"
ELEMENTS = ("site", "building", "storey", "space", "zone")
PATHS = {"site": "sites", "building": "buildings", "storey": "storeys", "space": "spaces", "zone": "zones"}


async def new_campaign(client: httpx.AsyncClient, admin: TestUser, name: str = "Campaign 1") -> int:
    """A campaign with two scopes ("<name> - Scope 1" and "- Scope 2"), one branch Site 1 > Building 1 >
    Storey 1 > Space 1 plus Building 2 and Zone 1."""
    campaign = await create(client, "/campaigns/", admin.headers, name=name, timezone="UTC")
    campaign_id = int(campaign["id"])
    for n in (1, 2):
        await create(
            client, "/campaign_scopes/", admin.headers, name=f"{name} - Scope {n}", campaign_id=campaign_id
        )
    site = await create(client, "/sites/", admin.headers, name="Site 1", campaign_id=campaign_id)
    building = await create(client, "/buildings/", admin.headers, name="Building 1", site_id=site["id"])
    await create(client, "/buildings/", admin.headers, name="Building 2", site_id=site["id"])
    storey = await create(client, "/storeys/", admin.headers, name="Storey 1", building_id=building["id"])
    await create(client, "/spaces/", admin.headers, name="Space 1", storey_id=storey["id"])
    await create(client, "/zones/", admin.headers, name="Zone 1", campaign_id=campaign_id)
    return campaign_id


async def upload(
    client: httpx.AsyncClient, user: TestUser, campaign_id: Any, data: str | bytes | None, **extra: Any
) -> httpx.Response:
    """POST /io/timeseries with `data` as the timeseries_csv file (text is sent as UTF-8)."""
    files = {}
    if data is not None:
        files["timeseries_csv"] = ("ts.csv", data.encode() if isinstance(data, str) else data, "text/csv")
    return await client.post(
        "/io/timeseries",
        params={"campaign_id": campaign_id},
        files=files or None,
        headers=user.headers,
        **extra,
    )


async def imported(
    client: httpx.AsyncClient, admin: TestUser, data: str | bytes, campaign: str = "Campaign 1"
) -> int:
    """A new campaign with the file imported; its id."""
    campaign_id = await new_campaign(client, admin, campaign)
    response = await upload(client, admin, campaign_id, data)
    assert response.status_code == 201, response.text
    return campaign_id


async def listed(client: httpx.AsyncClient, admin: TestUser, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/timeseries/", params={"page_size": 100, **params}, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def locations(client: httpx.AsyncClient, admin: TestUser) -> dict[str, list[tuple[str, str]]]:
    """{timeseries name: [(element type, element name), ...]} of every location link."""
    names = {item["id"]: item["name"] for item in await listed(client, admin)}
    found: dict[str, list[tuple[str, str]]] = {}
    for element in ELEMENTS:
        response = await client.get(
            f"/timeseries_by_{PATHS[element]}/", params={"page_size": 100}, headers=admin.headers
        )
        for link in response.json():
            found.setdefault(names[link["timeseries_id"]], []).append((element, link[element]["name"]))
    return found


async def values_of(client: httpx.AsyncClient, admin: TestUser) -> dict[tuple[str, str], str]:
    """{(timeseries name, property name): value} of every stored property value."""
    names = {item["id"]: item["name"] for item in await listed(client, admin)}
    props = {
        item["id"]: item["name"]
        for item in (await client.get("/timeseries_properties/", headers=admin.headers)).json()
    }
    response = await client.get("/timeseries_property_data/", headers=admin.headers)
    return {
        (names[item["timeseries_id"]], props[item["property_id"]]): item["value"] for item in response.json()
    }


def content_error(response: httpx.Response) -> str:
    """The detail of an "Invalid CSV file content: timeseries_csv ..." 422."""
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert message.startswith("Invalid CSV file content: timeseries_csv "), message
    return message.removeprefix("Invalid CSV file content: timeseries_csv ")
