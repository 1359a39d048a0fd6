"""/timeseries_property_data/: fields, value types, PUT with unchanged ids, filters, permissions."""

from __future__ import annotations

import pytest

from tests.helpers import create, etag_of
from tests.timeseries.conftest import link_user_to_scope, new_timeseries


@pytest.fixture
async def ts(client, admin, campaign, scope) -> dict:
    return await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")


@pytest.fixture
async def typed(client, admin) -> dict[str, int]:
    """A property of each value type: {value type: property id}."""
    ids = {}
    for value_type in ("integer", "float", "boolean", "string"):
        made = await create(
            client, "/timeseries_properties/", admin.headers, name=f"P {value_type}", value_type=value_type
        )
        ids[value_type] = made["id"]
    return ids


class TestCreatePropertyData:
    async def test_fields_in_the_reference_order(self, client, admin, ts):
        response = await client.post(
            "/timeseries_property_data/",
            json={"value": "12.5", "property_id": 1, "timeseries_id": ts["id"]},
            headers=admin.headers,
        )
        assert response.status_code == 201
        assert response.json() == {"id": 1, "timeseries_id": ts["id"], "property_id": 1, "value": "12.5"}
        assert list(response.json()) == ["id", "timeseries_id", "property_id", "value"]
        assert "ETag" in response.headers

    @pytest.mark.parametrize(
        ("value_type", "valid", "invalid"),
        [
            ("integer", ["12", "-3", "0"], ["12.5", "1e3", "x", ""]),
            ("float", ["12", "12.5", "1e3", "-0.5"], ["x", "", "nan", "inf"]),
            ("boolean", ["true", "false"], ["True", "1", "yes", ""]),
            ("string", ["", "anything", "12"], []),
        ],
    )
    async def test_values_must_parse_as_the_property_type(
        self, client, admin, campaign, scope, typed, value_type, valid, invalid
    ):
        for n, value in enumerate(valid + invalid):
            owner = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], f"T{n}")
            body = {"timeseries_id": owner["id"], "property_id": typed[value_type], "value": value}
            response = await client.post("/timeseries_property_data/", json=body, headers=admin.headers)
            if value in valid:
                assert response.status_code == 201, (value, response.text)
            else:
                assert response.status_code == 422, value
                assert response.json() == {
                    "code": 422,
                    "status": "Unprocessable Entity",
                    "errors": {"json": {"value": ["Invalid type."]}},
                }

    async def test_values_are_strings_of_up_to_100_characters(self, client, admin, ts):
        for value, message in ((12, "Not a valid string."), ("x" * 101, "Longer than maximum length 100.")):
            response = await client.post(
                "/timeseries_property_data/",
                json={"timeseries_id": ts["id"], "property_id": 1, "value": value},
                headers=admin.headers,
            )
            assert response.status_code == 422
            assert response.json()["errors"] == {"json": {"value": [message]}}

    async def test_one_value_per_timeseries_and_property(self, client, admin, ts):
        await create(
            client,
            "/timeseries_property_data/",
            admin.headers,
            timeseries_id=ts["id"],
            property_id=1,
            value="1",
        )
        again = await client.post(
            "/timeseries_property_data/",
            json={"timeseries_id": ts["id"], "property_id": 1, "value": "2"},
            headers=admin.headers,
        )
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"

    async def test_unknown_timeseries_or_property_is_409(self, client, admin, ts):
        for body in (
            {"timeseries_id": 999, "property_id": 1},
            {"timeseries_id": ts["id"], "property_id": 999},
        ):
            response = await client.post(
                "/timeseries_property_data/", json=body | {"value": "1"}, headers=admin.headers
            )
            assert response.status_code == 409
            assert response.json()["message"] == "Foreign key constraint violation"


class TestUpdatePropertyData:
    @pytest.fixture
    async def datum(self, client, admin, ts) -> dict:
        return await create(
            client,
            "/timeseries_property_data/",
            admin.headers,
            timeseries_id=ts["id"],
            property_id=1,
            value="1",
        )

    async def test_put_takes_the_whole_document_with_the_same_ids(self, client, admin, datum):
        path = f"/timeseries_property_data/{datum['id']}"
        etag = await etag_of(client, path, admin.headers)
        body = {"timeseries_id": datum["timeseries_id"], "property_id": 1, "value": "2.5"}
        response = await client.put(path, json=body, headers=admin.headers | {"If-Match": etag})
        assert response.status_code == 200
        assert response.json() == datum | {"value": "2.5"}

    async def test_the_timeseries_and_the_property_cannot_change(self, client, admin, campaign, scope, datum):
        other = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "Other")
        path = f"/timeseries_property_data/{datum['id']}"
        for field, value in (("timeseries_id", other["id"]), ("property_id", 2)):
            body = {"timeseries_id": datum["timeseries_id"], "property_id": 1, "value": "1"} | {field: value}
            response = await client.put(path, json=body, headers=admin.headers | {"If-Match": "*"})
            assert response.status_code == 409
            assert response.json()["message"] == f"{field} cannot be modified"

    async def test_put_checks_the_value_type(self, client, admin, datum):
        body = {"timeseries_id": datum["timeseries_id"], "property_id": 1, "value": "one"}
        response = await client.put(
            f"/timeseries_property_data/{datum['id']}", json=body, headers=admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"json": {"value": ["Invalid type."]}}

    async def test_put_without_the_ids_is_422(self, client, admin, datum):
        response = await client.put(
            f"/timeseries_property_data/{datum['id']}",
            json={"value": "1"},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.json()["errors"]["json"] == {
            "timeseries_id": ["Missing data for required field."],
            "property_id": ["Missing data for required field."],
        }


class TestListPropertyData:
    async def test_filters(self, client, admin, campaign, scope, ts):
        other = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "Other")
        for owner, property_id in ((ts, 1), (ts, 2), (other, 1)):
            await create(
                client,
                "/timeseries_property_data/",
                admin.headers,
                timeseries_id=owner["id"],
                property_id=property_id,
                value="0",
            )

        async def ids(**params):
            response = await client.get("/timeseries_property_data/", params=params, headers=admin.headers)
            return [(item["timeseries_id"], item["property_id"]) for item in response.json()]

        assert await ids(timeseries_id=ts["id"]) == [(ts["id"], 1), (ts["id"], 2)]
        assert await ids(property_id=1) == [(ts["id"], 1), (other["id"], 1)]
        assert await ids(timeseries_id=other["id"], property_id=2) == []

    async def test_readable_by_members_of_the_timeseries_scope_only(
        self, client, admin, user, campaign, scope, other_scope, ts
    ):
        hidden = await new_timeseries(client, admin.headers, campaign["id"], other_scope["id"], "Hidden")
        mine = await create(
            client,
            "/timeseries_property_data/",
            admin.headers,
            timeseries_id=ts["id"],
            property_id=1,
            value="0",
        )
        theirs = await create(
            client,
            "/timeseries_property_data/",
            admin.headers,
            timeseries_id=hidden["id"],
            property_id=1,
            value="0",
        )
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        listed = await client.get("/timeseries_property_data/", headers=user.headers)
        assert [item["id"] for item in listed.json()] == [mine["id"]]
        assert (
            await client.get(f"/timeseries_property_data/{theirs['id']}", headers=user.headers)
        ).status_code == 403
        filtered = await client.get(
            "/timeseries_property_data/", params={"timeseries_id": hidden["id"]}, headers=user.headers
        )
        assert filtered.status_code == 403
        write = await client.post(
            "/timeseries_property_data/",
            json={"timeseries_id": ts["id"], "property_id": 2, "value": "1"},
            headers=user.headers,
        )
        assert write.status_code == 403
