"""/sites/, /buildings/, /storeys/, /spaces/ and /zones/: fields, parents, filters, sort, permissions."""

import pytest

from tests.conftest import Users
from tests.helpers import create, etag_of, link_user_to_campaign
from tests.structure.conftest import ELEMENTS

PARENT = {"site": "campaign", "building": "site", "storey": "building", "space": "storey", "zone": "campaign"}
over_elements = pytest.mark.parametrize("element", ELEMENTS)


@over_elements
class TestElements:
    async def test_create_returns_fields_in_the_reference_order_without_nulls(
        self, client, admin, tree, element
    ):
        path, key = ELEMENTS[element]
        body = {key: tree[PARENT[element]]["id"], "ifc_id": "0" * 22, "description": "d", "name": "New"}
        response = await client.post(path, json=body, headers=admin.headers)
        assert response.status_code == 201
        assert list(response.json()) == ["id", "name", "description", "ifc_id", key]
        bare = await create(client, path, admin.headers, name="Bare", **{key: body[key]})
        assert list(bare) == ["id", "name", key]

    async def test_names_are_unique_within_a_parent_only(self, client, admin, tree, element):
        path, key = ELEMENTS[element]
        again = await client.post(
            path, json={"name": element.capitalize(), key: tree[PARENT[element]]["id"]}, headers=admin.headers
        )
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"

    async def test_an_unknown_parent_is_409(self, client, admin, element):
        path, key = ELEMENTS[element]
        response = await client.post(path, json={"name": "N", key: 999}, headers=admin.headers)
        assert response.status_code == 409
        assert response.json()["message"] == "Foreign key constraint violation"

    async def test_validation_messages(self, client, admin, element):
        path, key = ELEMENTS[element]
        body = {"name": "", "ifc_id": "x" * 23, "description": 5, key: "one"}
        response = await client.post(path, json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "name": ["Shorter than minimum length 1."],
            "ifc_id": ["Longer than maximum length 22."],
            "description": ["Not a valid string."],
            key: ["Not a valid integer."],
        }

    async def test_put_replaces_the_document_and_resets_absent_fields(self, client, admin, tree, element):
        path, key = ELEMENTS[element]
        item = f"{path}{tree[element]['id']}"
        etag = await etag_of(client, item, admin.headers)
        body = {"name": "Renamed", "description": "now described", "ifc_id": "abc"}
        response = await client.put(item, json=body, headers=admin.headers | {"If-Match": etag})
        assert response.status_code == 200
        assert response.json() == {"id": tree[element]["id"], **body, key: tree[PARENT[element]]["id"]}
        reset = await client.put(item, json={"name": "Renamed"}, headers=admin.headers | {"If-Match": "*"})
        assert reset.json() == {
            "id": tree[element]["id"],
            "name": "Renamed",
            key: tree[PARENT[element]]["id"],
        }

    async def test_an_element_cannot_move_to_another_parent(self, client, admin, tree, element):
        path, key = ELEMENTS[element]
        response = await client.put(
            f"{path}{tree[element]['id']}",
            json={"name": "N", key: tree[PARENT[element]]["id"]},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {key: ["Unknown field."]}

    async def test_put_and_delete_need_if_match(self, client, admin, tree, element):
        item = f"{ELEMENTS[element][0]}{tree[element]['id']}"
        assert (await client.put(item, json={"name": "N"}, headers=admin.headers)).status_code == 428
        assert (await client.delete(item, headers=admin.headers)).status_code == 428
        assert (await client.delete(item, headers=admin.headers | {"If-Match": '"old"'})).status_code == 412
        assert (await client.delete(item, headers=admin.headers | {"If-Match": "*"})).status_code == 204

    async def test_filter_by_name_and_ifc_id_and_sort(self, client, admin, tree, element):
        path, key = ELEMENTS[element]
        parent = tree[PARENT[element]]["id"]
        for name, ifc_id in (("B", "ifc-1"), ("A", "ifc-1"), ("C", "ifc-2")):
            await create(client, path, admin.headers, name=name, ifc_id=ifc_id, **{key: parent})
        by_ifc = await client.get(path, params={"ifc_id": "ifc-1", "sort": "name"}, headers=admin.headers)
        assert [e["name"] for e in by_ifc.json()] == ["A", "B"]
        by_name = await client.get(path, params={"name": "C"}, headers=admin.headers)
        assert [e["ifc_id"] for e in by_name.json()] == ["ifc-2"]
        down = await client.get(path, params={"sort": "-name"}, headers=admin.headers)
        names = [e["name"] for e in down.json()]
        assert names == sorted(names, reverse=True)

    async def test_campaign_members_read_non_members_do_not(self, client, users: Users, tree, element):
        path, _ = ELEMENTS[element]
        item = f"{path}{tree[element]['id']}"
        assert (await client.get(item, headers=users.active.headers)).status_code == 403
        assert (await client.get(path, headers=users.active.headers)).json() == []
        await link_user_to_campaign(client, users.admin.headers, users.active.id, tree["campaign"]["id"])
        assert (await client.get(item, headers=users.active.headers)).json() == tree[element]
        assert [e["id"] for e in (await client.get(path, headers=users.active.headers)).json()] == [
            tree[element]["id"]
        ]

    async def test_members_cannot_write(self, client, users: Users, tree, element):
        path, key = ELEMENTS[element]
        await link_user_to_campaign(client, users.admin.headers, users.active.id, tree["campaign"]["id"])
        headers = users.active.headers | {"If-Match": "*"}
        item = f"{path}{tree[element]['id']}"
        body = {"name": "N", key: tree[PARENT[element]]["id"]}
        assert (await client.post(path, json=body, headers=users.active.headers)).status_code == 403
        assert (await client.put(item, json={"name": "N"}, headers=headers)).status_code == 403
        assert (await client.delete(item, headers=headers)).status_code == 403


class TestSites:
    async def test_coordinates_are_bounded(self, client, admin, tree):
        body = {"name": "S", "campaign_id": tree["campaign"]["id"], "latitude": 90.5, "longitude": -181}
        response = await client.post("/sites/", json=body, headers=admin.headers)
        assert response.json()["errors"]["json"] == {
            "latitude": ["Must be less than or equal to 90.0."],
            "longitude": ["Must be greater than or equal to -180.0."],
        }

    async def test_coordinates_come_back_in_place(self, client, admin, tree):
        body = {"latitude": 43.5, "longitude": -1.5, "name": "S", "campaign_id": tree["campaign"]["id"]}
        site = await create(client, "/sites/", admin.headers, **body)
        assert list(site.items()) == [
            ("id", site["id"]),
            ("name", "S"),
            ("latitude", 43.5),
            ("longitude", -1.5),
            ("campaign_id", tree["campaign"]["id"]),
        ]


async def second_tree(client, admin, tree) -> dict[str, dict]:
    """Another site > building > storey > space in the same campaign, and a whole other campaign."""
    made = {"campaign": tree["campaign"]}
    for element, parent in (
        ("site", "campaign"),
        ("building", "site"),
        ("storey", "building"),
        ("space", "storey"),
    ):
        path, key = ELEMENTS[element]
        made[element] = await create(client, path, admin.headers, name="Second", **{key: made[parent]["id"]})
    made["other_campaign"] = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
    return made


class TestRelationFilters:
    # filter name -> the elements whose list accepts it
    CASES = {
        "/buildings/": ("campaign_id", "site_id"),
        "/storeys/": ("campaign_id", "site_id", "building_id"),
        "/spaces/": ("campaign_id", "site_id", "building_id", "storey_id"),
        "/zones/": ("campaign_id",),
        "/sites/": ("campaign_id",),
    }
    TARGET = {"campaign_id": "campaign", "site_id": "site", "building_id": "building", "storey_id": "storey"}
    LISTED = {
        "/sites/": "site",
        "/buildings/": "building",
        "/storeys/": "storey",
        "/spaces/": "space",
        "/zones/": "zone",
    }

    async def test_each_relation_filter_selects_the_descendants(self, client, admin, tree):
        other = await second_tree(client, admin, tree)
        for path, names in self.CASES.items():
            listed = self.LISTED[path]
            for name in names:
                target = self.TARGET[name]
                response = await client.get(path, params={name: tree[target]["id"]}, headers=admin.headers)
                expected = [tree[listed]["id"]]
                if target == "campaign" and listed != "zone":
                    expected.append(other[listed]["id"])
                assert [e["id"] for e in response.json()] == expected, (path, name)
                empty = await client.get(
                    path,
                    params={name: other["other_campaign"]["id"] if target == "campaign" else 999},
                    headers=admin.headers,
                )
                assert empty.json() == [], (path, name)

    async def test_filters_combine(self, client, admin, tree):
        other = await second_tree(client, admin, tree)
        params = {"campaign_id": tree["campaign"]["id"], "site_id": other["site"]["id"], "name": "Second"}
        response = await client.get("/spaces/", params=params, headers=admin.headers)
        assert [e["id"] for e in response.json()] == [other["space"]["id"]]

    async def test_a_relation_filter_on_an_unreadable_object_is_403(self, client, users: Users, tree):
        for path, names in self.CASES.items():
            for name in names:
                params = {name: tree[self.TARGET[name]]["id"]}
                response = await client.get(path, params=params, headers=users.active.headers)
                assert response.status_code == 403, (path, name)
                assert response.json()["message"] == "Authorization error"

    async def test_a_relation_filter_on_an_unknown_object_is_an_empty_list(self, client, user):
        for path, names in self.CASES.items():
            for name in names:
                response = await client.get(path, params={name: 4242}, headers=user.headers)
                assert (response.status_code, response.json()) == (200, []), (path, name)

    async def test_a_member_filters_their_campaign(self, client, users: Users, tree):
        await link_user_to_campaign(client, users.admin.headers, users.active.id, tree["campaign"]["id"])
        response = await client.get(
            "/spaces/", params={"campaign_id": tree["campaign"]["id"]}, headers=users.active.headers
        )
        assert [e["id"] for e in response.json()] == [tree["space"]["id"]]

    async def test_a_non_integer_id_filter_is_422(self, client, admin):
        response = await client.get("/storeys/", params={"site_id": "one"}, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["query"] == {"site_id": ["Not a valid integer."]}


class TestCascades:
    async def test_deleting_a_site_deletes_its_tree_but_not_the_zone(self, client, admin, tree):
        response = await client.delete(
            f"/sites/{tree['site']['id']}", headers=admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 204
        for element in ("building", "storey", "space"):
            path = f"{ELEMENTS[element][0]}{tree[element]['id']}"
            assert (await client.get(path, headers=admin.headers)).status_code == 404, element
        assert (await client.get(f"/zones/{tree['zone']['id']}", headers=admin.headers)).status_code == 200
