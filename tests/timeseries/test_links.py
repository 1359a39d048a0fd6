"""/timeseries_by_sites/ … /timeseries_by_zones/: nested locations, filters, pagination, campaign check."""

from __future__ import annotations

import json

import pytest

from tests.helpers import create
from tests.timeseries.conftest import ELEMENT_PATHS, add_elements, link_user_to_scope, new_timeseries

ELEMENTS = ("site", "building", "storey", "space", "zone")
over_elements = pytest.mark.parametrize("element", ELEMENTS)


@pytest.fixture
async def described_tree(client, admin, campaign) -> dict:
    """A branch whose elements have every optional field, so the nested documents show them all."""
    site = await create(
        client,
        "/sites/",
        admin.headers,
        name="S",
        latitude=43.5,
        longitude=-1.5,
        description="site d",
        ifc_id="site-ifc",
        campaign_id=campaign["id"],
    )
    building = await create(
        client,
        "/buildings/",
        admin.headers,
        name="B",
        description="building d",
        ifc_id="b-ifc",
        site_id=site["id"],
    )
    storey = await create(client, "/storeys/", admin.headers, name="St", building_id=building["id"])
    space = await create(
        client, "/spaces/", admin.headers, name="Sp", description="space d", storey_id=storey["id"]
    )
    zone = await create(
        client, "/zones/", admin.headers, name="Z", ifc_id="z-ifc", campaign_id=campaign["id"]
    )
    return {"site": site, "building": building, "storey": storey, "space": space, "zone": zone}


def without_id(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "id"}


class TestLinkDocuments:
    async def test_site_links_carry_the_site(self, client, admin, campaign, scope, described_tree):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        site = described_tree["site"]
        made = await create(
            client, "/timeseries_by_sites/", admin.headers, site_id=site["id"], timeseries_id=ts["id"]
        )
        assert made == {
            "id": 1,
            "site": {
                "name": "S",
                "latitude": 43.5,
                "longitude": -1.5,
                "description": "site d",
                "ifc_id": "site-ifc",
                "campaign_id": campaign["id"],
            },
            "timeseries_id": ts["id"],
            "site_id": site["id"],
        }
        assert list(made) == ["id", "site", "timeseries_id", "site_id"]
        assert "ETag" not in (await client.get("/timeseries_by_sites/1", headers=admin.headers)).headers

    async def test_storey_links_carry_site_building_and_storey_without_ids(
        self, client, admin, campaign, scope, described_tree
    ):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        tree = described_tree
        made = await create(
            client,
            "/timeseries_by_storeys/",
            admin.headers,
            storey_id=tree["storey"]["id"],
            timeseries_id=ts["id"],
        )
        assert list(made) == ["id", "site", "building", "storey", "timeseries_id", "storey_id"]
        assert made["site"] == without_id(tree["site"])
        assert made["building"] == {
            "name": "B",
            "description": "building d",
            "ifc_id": "b-ifc",
            "site_id": tree["site"]["id"],
        }
        assert made["storey"] == {"name": "St", "building_id": tree["building"]["id"]}

    async def test_space_links_carry_the_whole_branch(self, client, admin, campaign, scope, described_tree):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        tree = described_tree
        await create(
            client,
            "/timeseries_by_spaces/",
            admin.headers,
            space_id=tree["space"]["id"],
            timeseries_id=ts["id"],
        )
        (item,) = (await client.get("/timeseries_by_spaces/", headers=admin.headers)).json()
        assert list(item) == ["id", "site", "building", "storey", "space", "timeseries_id", "space_id"]
        assert [item[level] for level in ("site", "building", "storey", "space")] == [
            without_id(tree[level]) for level in ("site", "building", "storey", "space")
        ]

    async def test_building_and_zone_links(self, client, admin, campaign, scope, described_tree):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        tree = described_tree
        building = await create(
            client,
            "/timeseries_by_buildings/",
            admin.headers,
            building_id=tree["building"]["id"],
            timeseries_id=ts["id"],
        )
        assert list(building) == ["id", "site", "building", "timeseries_id", "building_id"]
        zone = await create(
            client, "/timeseries_by_zones/", admin.headers, zone_id=tree["zone"]["id"], timeseries_id=ts["id"]
        )
        assert zone == {
            "id": 1,
            "zone": {"name": "Z", "ifc_id": "z-ifc", "campaign_id": campaign["id"]},
            "timeseries_id": ts["id"],
            "zone_id": tree["zone"]["id"],
        }

    @over_elements
    async def test_nested_documents_are_read_only(self, client, admin, campaign, scope, tree, element):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        body = {"timeseries_id": ts["id"], f"{element}_id": tree[element]["id"], element: {"name": "X"}}
        response = await client.post(f"/timeseries_by_{element}s/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {"json": {element: ["Unknown field."]}}


@over_elements
class TestLinks:
    async def test_a_link_is_unique(self, client, admin, campaign, scope, tree, element):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        body = {"timeseries_id": ts["id"], f"{element}_id": tree[element]["id"]}
        await create(client, f"/timeseries_by_{element}s/", admin.headers, **body)
        again = await client.post(f"/timeseries_by_{element}s/", json=body, headers=admin.headers)
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"

    async def test_unknown_ids_are_409(self, client, admin, campaign, scope, tree, element):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        for body in (
            {"timeseries_id": 999, f"{element}_id": tree[element]["id"]},
            {"timeseries_id": ts["id"], f"{element}_id": 999},
        ):
            response = await client.post(f"/timeseries_by_{element}s/", json=body, headers=admin.headers)
            assert response.status_code == 409
            assert response.json()["message"] == "Foreign key constraint violation"

    async def test_a_location_of_another_campaign_is_refused(
        self, client, admin, campaign, scope, tree, element
    ):
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        elsewhere = await add_elements(client, admin.headers, other["id"])
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        body = {"timeseries_id": ts["id"], f"{element}_id": elsewhere[element]["id"]}
        response = await client.post(f"/timeseries_by_{element}s/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "json": {"_schema": [f"The timeseries and the {element} belong to different campaigns."]}
        }

    async def test_filters_and_pagination(self, client, admin, campaign, scope, tree, element):
        second = await add_elements(client, admin.headers, campaign["id"], " 2")
        made = []
        for n in range(12):
            ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], f"T{n}")
            target = tree if n % 3 else second
            made.append(
                await create(
                    client,
                    f"/timeseries_by_{element}s/",
                    admin.headers,
                    timeseries_id=ts["id"],
                    **{f"{element}_id": target[element]["id"]},
                )
            )
        path = f"/timeseries_by_{element}s/"
        first = await client.get(path, headers=admin.headers)
        assert first.json() == made[:10]
        assert json.loads(first.headers["X-Pagination"])["total"] == 12
        assert "ETag" not in first.headers
        by_element = await client.get(
            path, params={f"{element}_id": second[element]["id"], "page_size": 100}, headers=admin.headers
        )
        assert [item["timeseries_id"] for item in by_element.json()] == [1, 4, 7, 10]
        by_timeseries = await client.get(path, params={"timeseries_id": 5}, headers=admin.headers)
        assert [item["id"] for item in by_timeseries.json()] == [made[4]["id"]]

    async def test_the_sort_argument_the_ui_sends_is_ignored(self, client, admin, element):
        response = await client.get(
            f"/timeseries_by_{element}s/", params={"sort": "+name"}, headers=admin.headers
        )
        assert response.status_code == 200

    async def test_delete_needs_no_if_match(self, client, admin, campaign, scope, tree, element):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        made = await create(
            client,
            f"/timeseries_by_{element}s/",
            admin.headers,
            timeseries_id=ts["id"],
            **{f"{element}_id": tree[element]["id"]},
        )
        path = f"/timeseries_by_{element}s/{made['id']}"
        assert (await client.delete(path, headers=admin.headers)).status_code == 204
        assert (await client.get(path, headers=admin.headers)).status_code == 404

    async def test_deleting_the_location_deletes_the_link(
        self, client, admin, campaign, scope, tree, element
    ):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        await create(
            client,
            f"/timeseries_by_{element}s/",
            admin.headers,
            timeseries_id=ts["id"],
            **{f"{element}_id": tree[element]["id"]},
        )
        path = f"/{ELEMENT_PATHS[element]}/{tree[element]['id']}"
        assert (await client.delete(path, headers=admin.headers | {"If-Match": "*"})).status_code == 204
        assert (await client.get(f"/timeseries_by_{element}s/", headers=admin.headers)).json() == []

    async def test_readable_by_members_of_the_timeseries_scope(
        self, client, admin, user, campaign, scope, other_scope, tree, element
    ):
        key = f"{element}_id"
        visible = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "Visible")
        hidden = await new_timeseries(client, admin.headers, campaign["id"], other_scope["id"], "Hidden")
        path = f"/timeseries_by_{element}s/"
        mine = await create(
            client, path, admin.headers, timeseries_id=visible["id"], **{key: tree[element]["id"]}
        )
        theirs = await create(
            client, path, admin.headers, timeseries_id=hidden["id"], **{key: tree[element]["id"]}
        )
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        assert [item["id"] for item in (await client.get(path, headers=user.headers)).json()] == [mine["id"]]
        assert (await client.get(f"{path}{mine['id']}", headers=user.headers)).status_code == 200
        assert (await client.get(f"{path}{theirs['id']}", headers=user.headers)).status_code == 403
        assert (await client.delete(f"{path}{mine['id']}", headers=user.headers)).status_code == 403
        post = await client.post(
            path, json={"timeseries_id": visible["id"], key: tree[element]["id"]}, headers=user.headers
        )
        assert post.status_code == 403
        # Filtering on a timeseries or an element the user cannot read is 403 (a scope member only
        # reads the elements of campaigns they are a member of).
        hidden_filter = await client.get(path, params={"timeseries_id": hidden["id"]}, headers=user.headers)
        assert hidden_filter.status_code == 403
        element_filter = await client.get(path, params={key: tree[element]["id"]}, headers=user.headers)
        assert element_filter.status_code == 403
