"""/structural_element_properties/ and the per-element /<elem>_properties/ (with the nested property)."""

import pytest

from tests.conftest import Users
from tests.helpers import create, etag_of, sql_statements

ELEMENT_PROPERTIES = [
    f"/{element}_properties/" for element in ("site", "building", "storey", "space", "zone")
]


class TestStructuralElementProperties:
    async def test_create_with_defaults_and_fields_in_order(self, client, admin):
        full = await create(
            client,
            "/structural_element_properties/",
            admin.headers,
            description="Floor area",
            unit_symbol="m**2",
            value_type="float",
            name="Area",
        )
        assert list(full) == ["id", "name", "value_type", "unit_symbol", "description"]
        bare = await create(client, "/structural_element_properties/", admin.headers, name="Label")
        assert bare == {"id": bare["id"], "name": "Label", "value_type": "string"}

    async def test_empty_unit_is_dimensionless_and_kept(self, client, admin):
        made = await create(
            client, "/structural_element_properties/", admin.headers, name="R", unit_symbol=""
        )
        assert made["unit_symbol"] == ""

    async def test_bad_value_type_and_unit_are_422(self, client, admin):
        body = {"name": "P", "value_type": "date", "unit_symbol": "dummy"}
        response = await client.post("/structural_element_properties/", json=body, headers=admin.headers)
        assert response.json()["errors"]["json"] == {
            "value_type": ["Must be one of: integer, float, boolean, string."],
            "unit_symbol": ["Undefined unit."],
        }
        null_unit = await client.post(
            "/structural_element_properties/", json={"name": "P", "unit_symbol": None}, headers=admin.headers
        )
        assert null_unit.json()["errors"]["json"] == {"unit_symbol": ["Field may not be null."]}

    async def test_duplicate_name_is_409(self, client, admin):
        await create(client, "/structural_element_properties/", admin.headers, name="P")
        again = await client.post(
            "/structural_element_properties/", json={"name": "P"}, headers=admin.headers
        )
        assert again.status_code == 409

    async def test_put_cannot_change_the_value_type(self, client, admin):
        made = await create(
            client, "/structural_element_properties/", admin.headers, name="P", value_type="integer"
        )
        path = f"/structural_element_properties/{made['id']}"
        refused = await client.put(
            path, json={"name": "P", "value_type": "string"}, headers=admin.headers | {"If-Match": "*"}
        )
        assert refused.status_code == 422
        assert refused.json()["errors"]["json"] == {"value_type": ["Unknown field."]}
        etag = await etag_of(client, path, admin.headers)
        renamed = await client.put(
            path, json={"name": "Q", "unit_symbol": "kW"}, headers=admin.headers | {"If-Match": etag}
        )
        assert renamed.json() == {"id": made["id"], "name": "Q", "value_type": "integer", "unit_symbol": "kW"}

    async def test_filters_and_sort(self, client, admin):
        for name, value_type, unit in (("b", "float", "m"), ("a", "float", "kW"), ("c", "integer", "m")):
            await create(
                client,
                "/structural_element_properties/",
                admin.headers,
                name=name,
                value_type=value_type,
                unit_symbol=unit,
            )
        params = {"value_type": "float", "sort": "name"}
        response = await client.get("/structural_element_properties/", params=params, headers=admin.headers)
        assert [p["name"] for p in response.json()] == ["a", "b"]
        by_unit = await client.get(
            "/structural_element_properties/",
            params={"unit_symbol": "m", "sort": "-name"},
            headers=admin.headers,
        )
        assert [p["name"] for p in by_unit.json()] == ["c", "b"]
        bad = await client.get(
            "/structural_element_properties/", params={"value_type": "date"}, headers=admin.headers
        )
        assert bad.status_code == 422

    async def test_everyone_reads_only_admins_write(self, client, users: Users):
        made = await create(client, "/structural_element_properties/", users.admin.headers, name="P")
        path = f"/structural_element_properties/{made['id']}"
        assert (await client.get(path, headers=users.active.headers)).json() == made
        assert (
            len((await client.get("/structural_element_properties/", headers=users.active.headers)).json())
            == 1
        )
        headers = users.active.headers | {"If-Match": "*"}
        assert (
            await client.post(
                "/structural_element_properties/", json={"name": "X"}, headers=users.active.headers
            )
        ).status_code == 403
        assert (await client.put(path, json={"name": "X"}, headers=headers)).status_code == 403
        assert (await client.delete(path, headers=headers)).status_code == 403


@pytest.mark.parametrize("path", ELEMENT_PROPERTIES)
class TestElementProperties:
    async def test_enabling_a_property_shows_it_nested_without_nulls(self, client, admin, path):
        prop = await create(
            client,
            "/structural_element_properties/",
            admin.headers,
            name="Area",
            value_type="float",
            unit_symbol="m**2",
        )
        response = await client.post(
            path, json={"structural_element_property_id": prop["id"]}, headers=admin.headers
        )
        assert response.status_code == 201
        assert "ETag" not in response.headers
        enabled = response.json()
        assert list(enabled.items()) == [
            ("id", enabled["id"]),
            ("structural_element_property", {"name": "Area", "value_type": "float", "unit_symbol": "m**2"}),
            ("structural_element_property_id", prop["id"]),
        ]
        assert (await client.get(f"{path}{enabled['id']}", headers=admin.headers)).json() == enabled
        assert (await client.get(path, headers=admin.headers)).json() == [enabled]

    async def test_a_property_is_enabled_once_per_element_type(self, client, admin, path):
        prop = await create(client, "/structural_element_properties/", admin.headers, name="P")
        await create(client, path, admin.headers, structural_element_property_id=prop["id"])
        again = await client.post(
            path, json={"structural_element_property_id": prop["id"]}, headers=admin.headers
        )
        assert again.status_code == 409
        unknown = await client.post(path, json={"structural_element_property_id": 999}, headers=admin.headers)
        assert unknown.json()["message"] == "Foreign key constraint violation"

    async def test_filter_by_property_and_no_put(self, client, admin, path):
        first = await create(client, "/structural_element_properties/", admin.headers, name="P1")
        second = await create(client, "/structural_element_properties/", admin.headers, name="P2")
        for prop in (first, second):
            await create(client, path, admin.headers, structural_element_property_id=prop["id"])
        response = await client.get(
            path, params={"structural_element_property_id": second["id"]}, headers=admin.headers
        )
        assert [p["structural_element_property_id"] for p in response.json()] == [second["id"]]
        assert (await client.put(f"{path}1", json={}, headers=admin.headers)).status_code == 405

    async def test_deleting_the_property_disables_it(self, client, admin, path):
        prop = await create(client, "/structural_element_properties/", admin.headers, name="P")
        enabled = await create(client, path, admin.headers, structural_element_property_id=prop["id"])
        deleted = await client.delete(
            f"/structural_element_properties/{prop['id']}", headers=admin.headers | {"If-Match": "*"}
        )
        assert deleted.status_code == 204
        assert (await client.get(f"{path}{enabled['id']}", headers=admin.headers)).status_code == 404

    async def test_everyone_reads_only_admins_write(self, client, users: Users, path):
        prop = await create(client, "/structural_element_properties/", users.admin.headers, name="P")
        enabled = await create(client, path, users.admin.headers, structural_element_property_id=prop["id"])
        assert (await client.get(f"{path}{enabled['id']}", headers=users.active.headers)).status_code == 200
        body = {"structural_element_property_id": prop["id"]}
        assert (await client.post(path, json=body, headers=users.active.headers)).status_code == 403
        assert (
            await client.delete(f"{path}{enabled['id']}", headers=users.active.headers)
        ).status_code == 403

    async def test_a_list_costs_the_same_queries_for_one_or_many_items(self, client, admin, path):
        async def statements_for_list() -> int:
            with sql_statements() as counted:
                response = await client.get(path, headers=admin.headers)
            assert response.status_code == 200
            return len(counted)

        prop = await create(client, "/structural_element_properties/", admin.headers, name="P0")
        await create(client, path, admin.headers, structural_element_property_id=prop["id"])
        await statements_for_list()  # opens the read connection (the driver's set-up statements)
        one = await statements_for_list()
        assert one >= 2  # at least the list and the nested properties
        for n in range(1, 15):
            prop = await create(client, "/structural_element_properties/", admin.headers, name=f"P{n}")
            await create(client, path, admin.headers, structural_element_property_id=prop["id"])
        assert await statements_for_list() == one
