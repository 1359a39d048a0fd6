"""/timeseries/: fields, defaults, the scope of the campaign, PUT, pagination, sort."""

import json

from tests.helpers import create, etag_of
from tests.timeseries.conftest import new_timeseries


def body(campaign, scope, **fields):
    return {"name": "T", "campaign_id": campaign["id"], "campaign_scope_id": scope["id"], **fields}


class TestCreateTimeseries:
    async def test_fields_in_the_reference_order(self, client, admin, campaign, scope):
        response = await client.post(
            "/timeseries/",
            json=body(campaign, scope, description="Air", unit_symbol="°C"),
            headers=admin.headers,
        )
        assert response.status_code == 201
        assert list(response.json()) == [
            "id",
            "name",
            "unit_symbol",
            "description",
            "campaign_id",
            "campaign_scope_id",
        ]
        assert "ETag" in response.headers

    async def test_the_unit_defaults_to_dimensionless_and_no_description_is_left_out(
        self, client, admin, campaign, scope
    ):
        made = await create(client, "/timeseries/", admin.headers, **body(campaign, scope))
        assert made == {
            "id": 1,
            "name": "T",
            "unit_symbol": "",
            "campaign_id": campaign["id"],
            "campaign_scope_id": scope["id"],
        }

    async def test_units_are_checked_with_the_unit_registry(self, client, admin, campaign, scope):
        for unit in ("kWh", "m**3/h", "°C_HDD", "ratio", "W/m^2"):
            made = await create(
                client, "/timeseries/", admin.headers, **body(campaign, scope, name=unit, unit_symbol=unit)
            )
            assert made["unit_symbol"] == unit
        for unit, message in (
            ("wh", "Undefined unit. Close symbols: Wh."),
            ("kilowatt_hour / meter ** 2", "Longer than maximum length 20."),
        ):
            response = await client.post(
                "/timeseries/", json=body(campaign, scope, unit_symbol=unit), headers=admin.headers
            )
            assert response.status_code == 422
            assert response.json()["errors"] == {"json": {"unit_symbol": [message]}}

    async def test_validation_messages(self, client, admin):
        response = await client.post(
            "/timeseries/",
            json={"name": "", "description": "d" * 501, "campaign_id": "one", "unit_symbol": None},
            headers=admin.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "name": ["Shorter than minimum length 1."],
            "unit_symbol": ["Field may not be null."],
            "description": ["Longer than maximum length 500."],
            "campaign_id": ["Not a valid integer."],
            "campaign_scope_id": ["Missing data for required field."],
        }

    async def test_names_are_unique_within_a_campaign(self, client, admin, campaign, scope, other_scope):
        await create(client, "/timeseries/", admin.headers, **body(campaign, scope))
        again = await client.post("/timeseries/", json=body(campaign, other_scope), headers=admin.headers)
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        other_campaign_scope = await create(
            client, "/campaign_scopes/", admin.headers, name="S", campaign_id=other["id"]
        )
        await create(client, "/timeseries/", admin.headers, **body(other, other_campaign_scope))

    async def test_the_scope_must_belong_to_the_campaign(self, client, admin, campaign, scope):
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        response = await client.post("/timeseries/", json=body(other, scope), headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "json": {"campaign_scope_id": ["The campaign scope belongs to another campaign."]}
        }

    async def test_unknown_campaign_or_scope_is_409(self, client, admin, campaign, scope):
        for fields in ({"campaign_id": 999}, {"campaign_scope_id": 999}):
            response = await client.post(
                "/timeseries/", json=body(campaign, scope, **fields), headers=admin.headers
            )
            assert response.status_code == 409
            assert response.json()["message"] == "Foreign key constraint violation"

    async def test_unknown_fields_and_id_are_refused(self, client, admin, campaign, scope):
        response = await client.post(
            "/timeseries/", json=body(campaign, scope, id=5, junk=1), headers=admin.headers
        )
        assert response.json()["errors"]["json"] == {"id": ["Unknown field."], "junk": ["Unknown field."]}


class TestUpdateTimeseries:
    async def test_put_replaces_name_unit_and_description(self, client, admin, campaign, scope):
        made = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T", unit_symbol="W")
        path = f"/timeseries/{made['id']}"
        etag = await etag_of(client, path, admin.headers)
        response = await client.put(
            path,
            json={"name": "U", "unit_symbol": "kW", "description": "d"},
            headers=admin.headers | {"If-Match": etag},
        )
        assert response.status_code == 200
        assert response.json() == made | {"name": "U", "unit_symbol": "kW", "description": "d"}
        assert response.headers["ETag"] == await etag_of(client, path, admin.headers)

    async def test_an_absent_unit_is_reset_to_dimensionless(self, client, admin, campaign, scope):
        made = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T", unit_symbol="W")
        response = await client.put(
            f"/timeseries/{made['id']}", json={"name": "T"}, headers=admin.headers | {"If-Match": "*"}
        )
        assert response.json()["unit_symbol"] == ""

    async def test_campaign_and_scope_cannot_change(self, client, admin, campaign, scope):
        made = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        response = await client.put(
            f"/timeseries/{made['id']}",
            json={"name": "T", "campaign_id": campaign["id"], "campaign_scope_id": scope["id"]},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "campaign_id": ["Unknown field."],
            "campaign_scope_id": ["Unknown field."],
        }

    async def test_put_and_delete_need_if_match(self, client, admin, campaign, scope):
        made = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        path = f"/timeseries/{made['id']}"
        assert (await client.put(path, json={"name": "N"}, headers=admin.headers)).status_code == 428
        assert (await client.delete(path, headers=admin.headers)).status_code == 428
        stale = await client.delete(path, headers=admin.headers | {"If-Match": '"0"'})
        assert stale.status_code == 412
        assert (await client.delete(path, headers=admin.headers | {"If-Match": "*"})).status_code == 204
        assert (await client.get(path, headers=admin.headers)).status_code == 404


class TestListTimeseries:
    async def test_pages_of_10_by_default_with_the_pagination_header(self, client, admin, campaign, scope):
        for n in range(12):
            await new_timeseries(client, admin.headers, campaign["id"], scope["id"], f"T{n:02}")
        response = await client.get("/timeseries/", headers=admin.headers)
        assert response.status_code == 200
        assert [item["id"] for item in response.json()] == list(range(1, 11))
        assert json.loads(response.headers["X-Pagination"]) == {
            "total": 12,
            "total_pages": 2,
            "first_page": 1,
            "last_page": 2,
            "page": 1,
            "next_page": 2,
        }
        last = await client.get("/timeseries/", params={"page": 2, "page_size": 10}, headers=admin.headers)
        assert [item["name"] for item in last.json()] == ["T10", "T11"]
        assert last.headers["X-Pagination"] == (
            '{"total": 12, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 2, "previous_page": 1}'
        )
        beyond = await client.get("/timeseries/", params={"page": 5}, headers=admin.headers)
        assert beyond.json() == []
        assert json.loads(beyond.headers["X-Pagination"]) == {
            "total": 12,
            "total_pages": 2,
            "first_page": 1,
            "last_page": 2,
        }

    async def test_an_empty_list_has_total_0(self, client, admin):
        response = await client.get("/timeseries/", headers=admin.headers)
        assert response.json() == []
        assert response.headers["X-Pagination"] == '{"total": 0, "total_pages": 0}'

    async def test_page_arguments_are_bounded(self, client, admin):
        for params, error in (
            ({"page": 0}, {"page": ["Must be greater than or equal to 1."]}),
            ({"page_size": 101}, {"page_size": ["Must be less than or equal to 100."]}),
            ({"page_size": "x"}, {"page_size": ["Not a valid integer."]}),
        ):
            response = await client.get("/timeseries/", params=params, headers=admin.headers)
            assert response.status_code == 422
            assert response.json()["errors"] == {"query": error}

    async def test_sort_by_name(self, client, admin, campaign, scope):
        for name in ("b", "c", "a"):
            await new_timeseries(client, admin.headers, campaign["id"], scope["id"], name)

        async def names(sort):
            response = await client.get("/timeseries/", params={"sort": sort}, headers=admin.headers)
            return [item["name"] for item in response.json()]

        assert await names("name") == ["a", "b", "c"]
        assert await names("-name") == ["c", "b", "a"]
        response = await client.get("/timeseries/", params={"sort": "unit_symbol"}, headers=admin.headers)
        assert response.json()["errors"] == {
            "query": {"sort": {"0": ["Must be one of: name, +name, -name."]}}
        }

    async def test_the_etag_covers_the_page_and_answers_304(self, client, admin, campaign, scope):
        await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        first = await client.get("/timeseries/", headers=admin.headers)
        again = await client.get(
            "/timeseries/", headers=admin.headers | {"If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304
        await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "U")
        changed = await client.get(
            "/timeseries/", headers=admin.headers | {"If-None-Match": first.headers["ETag"]}
        )
        assert changed.status_code == 200


class TestDeleteTimeseries:
    async def test_deleting_a_timeseries_deletes_its_values_and_links(
        self, client, admin, campaign, scope, tree
    ):
        made = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        await create(
            client,
            "/timeseries_property_data/",
            admin.headers,
            timeseries_id=made["id"],
            property_id=1,
            value="0",
        )
        await create(
            client,
            "/timeseries_by_sites/",
            admin.headers,
            timeseries_id=made["id"],
            site_id=tree["site"]["id"],
        )
        response = await client.delete(f"/timeseries/{made['id']}", headers=admin.headers | {"If-Match": "*"})
        assert response.status_code == 204
        assert (await client.get("/timeseries_property_data/", headers=admin.headers)).json() == []
        assert (await client.get("/timeseries_by_sites/", headers=admin.headers)).json() == []

    async def test_deleting_a_scope_deletes_its_timeseries(self, client, admin, campaign, scope):
        await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        response = await client.delete(
            f"/campaign_scopes/{scope['id']}", headers=admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 204
        assert (await client.get("/timeseries/", headers=admin.headers)).json() == []
