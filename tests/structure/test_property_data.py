"""/<elem>_property_data/: nested property, value type checks, unchangeable ids, permissions."""

import pytest

from tests.conftest import Users
from tests.helpers import create, etag_of, link_user_to_campaign
from tests.structure.conftest import ELEMENTS

INVALID_TYPE = {
    "code": 422,
    "status": "Unprocessable Entity",
    "errors": {"json": {"value": ["Invalid type."]}},
}
VALUES = {
    "integer": (["12", "-3", "0"], ["12.5", "twelve", "", "1e3"]),
    "float": (["12", "12.5", "1e3", "-0.5"], ["twelve", "", "1,5", "nan", "inf", "-Infinity"]),
    "boolean": (["true", "false"], ["True", "FALSE", "1", "yes", ""]),
    "string": (["", "anything", "12"], []),
}


async def enable(client, admin, element: str, name: str, value_type: str, **extra) -> dict:
    prop = await create(
        client, "/structural_element_properties/", admin.headers, name=name, value_type=value_type, **extra
    )
    return await create(
        client, f"/{element}_properties/", admin.headers, structural_element_property_id=prop["id"]
    )


@pytest.mark.parametrize("element", ELEMENTS)
class TestPropertyData:
    async def test_a_value_shows_its_property_nested(self, client, admin, tree, element):
        enabled = await enable(
            client, admin, element, "Area", "float", unit_symbol="m**2", description="Floor"
        )
        path = f"/{element}_property_data/"
        body = {
            "value": "12.5",
            f"{element}_property_id": enabled["id"],
            f"{element}_id": tree[element]["id"],
        }
        response = await client.post(path, json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        made = response.json()
        assert list(made.items()) == [
            ("id", made["id"]),
            (
                f"{element}_property",
                {
                    "structural_element_property": {
                        "name": "Area",
                        "value_type": "float",
                        "unit_symbol": "m**2",
                        "description": "Floor",
                    },
                    "structural_element_property_id": enabled["structural_element_property_id"],
                },
            ),
            (f"{element}_id", tree[element]["id"]),
            (f"{element}_property_id", enabled["id"]),
            ("value", "12.5"),
        ]
        assert response.headers["ETag"] == await etag_of(client, f"{path}{made['id']}", admin.headers)
        assert (await client.get(path, headers=admin.headers)).json() == [made]

    @pytest.mark.parametrize("value_type", VALUES)
    async def test_values_must_parse_as_the_property_type_on_post_and_put(
        self, client, admin, tree, element, value_type
    ):
        enabled = await enable(client, admin, element, "P", value_type)
        path = f"/{element}_property_data/"
        good, bad = VALUES[value_type]
        ids = {f"{element}_id": tree[element]["id"], f"{element}_property_id": enabled["id"]}
        made = await create(client, path, admin.headers, value=good[0], **ids)
        for value in bad:
            refused = await client.post(path, json=ids | {"value": value}, headers=admin.headers)
            assert (refused.status_code, refused.json()) == (422, INVALID_TYPE), value
            put = await client.put(
                f"{path}{made['id']}", json=ids | {"value": value}, headers=admin.headers | {"If-Match": "*"}
            )
            assert (put.status_code, put.json()) == (422, INVALID_TYPE), value
        for value in good:
            put = await client.put(
                f"{path}{made['id']}", json=ids | {"value": value}, headers=admin.headers | {"If-Match": "*"}
            )
            assert put.status_code == 200, value
            assert put.json()["value"] == value
            assert (await client.get(f"{path}{made['id']}", headers=admin.headers)).json()["value"] == value

    async def test_a_value_is_a_string_of_at_most_100_characters(self, client, admin, tree, element):
        enabled = await enable(client, admin, element, "P", "integer")
        ids = {f"{element}_id": tree[element]["id"], f"{element}_property_id": enabled["id"]}
        for value, message in (
            (12, "Not a valid string."),
            (True, "Not a valid string."),
            (None, "Field may not be null."),
            ("1" * 101, "Longer than maximum length 100."),
        ):
            response = await client.post(
                f"/{element}_property_data/", json=ids | {"value": value}, headers=admin.headers
            )
            assert response.status_code == 422
            assert response.json()["errors"]["json"] == {"value": [message]}, value

    async def test_one_value_per_element_and_property(self, client, admin, tree, element):
        enabled = await enable(client, admin, element, "P", "string")
        ids = {f"{element}_id": tree[element]["id"], f"{element}_property_id": enabled["id"]}
        await create(client, f"/{element}_property_data/", admin.headers, value="a", **ids)
        again = await client.post(
            f"/{element}_property_data/", json=ids | {"value": "b"}, headers=admin.headers
        )
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"

    async def test_only_a_property_enabled_for_this_element_type_can_be_used(
        self, client, admin, tree, element
    ):
        other = next(e for e in ELEMENTS if e != element)
        await enable(client, admin, element, "Mine", "string")
        elsewhere = [await enable(client, admin, other, f"P{n}", "string") for n in range(3)]
        # An id that exists among the other type's enabled properties, not among this type's.
        missing = elsewhere[-1]["id"]
        listed = await client.get(f"/{element}_properties/", headers=admin.headers)
        assert missing not in [p["id"] for p in listed.json()]
        body = {f"{element}_id": tree[element]["id"], f"{element}_property_id": missing, "value": "x"}
        response = await client.post(f"/{element}_property_data/", json=body, headers=admin.headers)
        assert response.status_code == 409
        assert response.json() == {
            "code": 409,
            "status": "Conflict",
            "message": "Foreign key constraint violation",
        }
        mine = listed.json()[0]
        unknown_element = {f"{element}_id": 999, f"{element}_property_id": mine["id"], "value": "x"}
        response = await client.post(
            f"/{element}_property_data/", json=unknown_element, headers=admin.headers
        )
        assert response.json()["message"] == "Foreign key constraint violation"

    async def test_put_cannot_move_a_value_to_another_element_or_property(self, client, admin, tree, element):
        first = await enable(client, admin, element, "P1", "string")
        second = await enable(client, admin, element, "P2", "string")
        path, key = ELEMENTS[element]
        parent = {
            "site": "campaign",
            "zone": "campaign",
            "building": "site",
            "storey": "building",
            "space": "storey",
        }
        sibling = await create(
            client, path, admin.headers, name="Sibling", **{key: tree[parent[element]]["id"]}
        )
        ids = {f"{element}_id": tree[element]["id"], f"{element}_property_id": first["id"]}
        made = await create(client, f"/{element}_property_data/", admin.headers, value="a", **ids)
        item = f"/{element}_property_data/{made['id']}"
        for field, other in ((f"{element}_id", sibling["id"]), (f"{element}_property_id", second["id"])):
            response = await client.put(
                item, json=ids | {field: other, "value": "b"}, headers=admin.headers | {"If-Match": "*"}
            )
            assert response.status_code == 409
            assert response.json() == {
                "code": 409,
                "status": "Conflict",
                "message": f"{field} cannot be modified",
            }
        assert (await client.get(item, headers=admin.headers)).json() == made

    async def test_filters_on_element_and_property(self, client, admin, tree, element):
        first = await enable(client, admin, element, "P1", "string")
        second = await enable(client, admin, element, "P2", "string")
        path = f"/{element}_property_data/"
        made = [
            await create(
                client,
                path,
                admin.headers,
                value="v",
                **{f"{element}_id": tree[element]["id"], f"{element}_property_id": p["id"]},
            )
            for p in (first, second)
        ]
        response = await client.get(
            path, params={f"{element}_property_id": second["id"]}, headers=admin.headers
        )
        assert [d["id"] for d in response.json()] == [made[1]["id"]]
        response = await client.get(
            path, params={f"{element}_id": tree[element]["id"]}, headers=admin.headers
        )
        assert [d["id"] for d in response.json()] == [made[0]["id"], made[1]["id"]]

    async def test_campaign_members_read_others_are_refused(self, client, users: Users, tree, element):
        enabled = await enable(client, users.admin, element, "P", "string")
        path = f"/{element}_property_data/"
        ids = {f"{element}_id": tree[element]["id"], f"{element}_property_id": enabled["id"]}
        made = await create(client, path, users.admin.headers, value="v", **ids)
        item = f"{path}{made['id']}"
        assert (await client.get(item, headers=users.active.headers)).status_code == 403
        assert (await client.get(path, headers=users.active.headers)).json() == []
        refused = await client.get(
            path, params={f"{element}_id": tree[element]["id"]}, headers=users.active.headers
        )
        assert refused.status_code == 403
        await link_user_to_campaign(client, users.admin.headers, users.active.id, tree["campaign"]["id"])
        assert (await client.get(item, headers=users.active.headers)).json() == made
        headers = users.active.headers | {"If-Match": "*"}
        assert (await client.put(item, json=ids | {"value": "w"}, headers=headers)).status_code == 403
        assert (await client.delete(item, headers=headers)).status_code == 403
        assert (
            await client.post(path, json=ids | {"value": "w"}, headers=users.active.headers)
        ).status_code == 403

    async def test_deleting_the_element_or_the_enabled_property_deletes_the_values(
        self, client, admin, tree, element
    ):
        enabled = await enable(client, admin, element, "P", "string")
        path = f"/{element}_property_data/"
        ids = {f"{element}_id": tree[element]["id"], f"{element}_property_id": enabled["id"]}
        made = await create(client, path, admin.headers, value="v", **ids)
        assert (
            await client.delete(f"/{element}_properties/{enabled['id']}", headers=admin.headers)
        ).status_code == 204
        assert (await client.get(f"{path}{made['id']}", headers=admin.headers)).status_code == 404
        enabled = await enable(client, admin, element, "Q", "string")
        made = await create(
            client,
            path,
            admin.headers,
            value="v",
            **{f"{element}_id": tree[element]["id"], f"{element}_property_id": enabled["id"]},
        )
        element_path = f"{ELEMENTS[element][0]}{tree[element]['id']}"
        assert (
            await client.delete(element_path, headers=admin.headers | {"If-Match": "*"})
        ).status_code == 204
        assert (await client.get(f"{path}{made['id']}", headers=admin.headers)).status_code == 404
