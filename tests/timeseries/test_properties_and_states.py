"""/timeseries_properties/ and /timeseries_data_states/: seeds, fields, PUT, filters, permissions."""

from tests.helpers import create, etag_of

SEEDED_PROPERTIES = [
    {"id": 1, "name": "Min", "value_type": "float", "description": "Minimum expected value"},
    {"id": 2, "name": "Max", "value_type": "float", "description": "Maximum expected value"},
    {
        "id": 3,
        "name": "Interval",
        "value_type": "float",
        "unit_symbol": "s",
        "description": "Expected interval",
    },
]


class TestSeeds:
    async def test_min_max_and_interval_are_seeded_with_ids_1_to_3(self, client, admin):
        response = await client.get("/timeseries_properties/", headers=admin.headers)
        assert response.status_code == 200
        assert response.json() == SEEDED_PROPERTIES

    async def test_raw_and_clean_data_states_are_seeded_with_ids_1_and_2(self, client, admin):
        response = await client.get("/timeseries_data_states/", headers=admin.headers)
        assert response.json() == [{"id": 1, "name": "Raw"}, {"id": 2, "name": "Clean"}]

    async def test_new_rows_get_ids_after_the_seeds(self, client, admin):
        prop = await create(client, "/timeseries_properties/", admin.headers, name="Accuracy")
        state = await create(client, "/timeseries_data_states/", admin.headers, name="Checked")
        assert (prop["id"], state["id"]) == (4, 3)


class TestCreateProperty:
    async def test_fields_in_the_reference_order_value_type_defaults_to_string(self, client, admin):
        response = await client.post(
            "/timeseries_properties/",
            json={"description": "d", "unit_symbol": "m", "name": "Height"},
            headers=admin.headers,
        )
        assert response.status_code == 201
        assert response.json() == {
            "id": 4,
            "name": "Height",
            "value_type": "string",
            "unit_symbol": "m",
            "description": "d",
        }
        assert list(response.json()) == ["id", "name", "value_type", "unit_symbol", "description"]
        assert "ETag" in response.headers

    async def test_names_are_unique(self, client, admin):
        response = await client.post("/timeseries_properties/", json={"name": "Min"}, headers=admin.headers)
        assert response.status_code == 409
        assert response.json()["message"] == "Unique constraint violation"

    async def test_validation_messages(self, client, admin):
        body = {"name": "", "value_type": "date", "unit_symbol": "wh", "description": "x" * 251}
        response = await client.post("/timeseries_properties/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "name": ["Shorter than minimum length 1."],
            "value_type": ["Must be one of: integer, float, boolean, string."],
            "unit_symbol": ["Undefined unit. Close symbols: Wh."],
            "description": ["Longer than maximum length 250."],
        }

    async def test_an_explicit_null_unit_is_refused(self, client, admin):
        body = {"name": "P", "unit_symbol": None}
        response = await client.post("/timeseries_properties/", json=body, headers=admin.headers)
        assert response.json()["errors"]["json"] == {"unit_symbol": ["Field may not be null."]}

    async def test_a_non_admin_cannot_create(self, client, user):
        response = await client.post("/timeseries_properties/", json={"name": "P"}, headers=user.headers)
        assert response.status_code == 403


class TestUpdateProperty:
    async def test_put_cannot_change_the_value_type(self, client, admin):
        response = await client.put(
            "/timeseries_properties/1",
            json={"name": "Min", "value_type": "string"},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {"value_type": ["Unknown field."]}

    async def test_put_replaces_name_unit_and_description(self, client, admin):
        etag = await etag_of(client, "/timeseries_properties/3", admin.headers)
        response = await client.put(
            "/timeseries_properties/3",
            json={"name": "Step", "unit_symbol": "min"},
            headers=admin.headers | {"If-Match": etag},
        )
        assert response.status_code == 200
        assert response.json() == {"id": 3, "name": "Step", "value_type": "float", "unit_symbol": "min"}

    async def test_put_needs_if_match_and_a_current_one(self, client, admin):
        path = "/timeseries_properties/1"
        assert (await client.put(path, json={"name": "M"}, headers=admin.headers)).status_code == 428
        stale = await client.put(path, json={"name": "M"}, headers=admin.headers | {"If-Match": '"stale"'})
        assert stale.status_code == 412


class TestListProperties:
    async def test_filters_and_sort(self, client, admin):
        await create(client, "/timeseries_properties/", admin.headers, name="Brand")
        await create(
            client,
            "/timeseries_properties/",
            admin.headers,
            name="Area",
            value_type="float",
            unit_symbol="m**2",
        )

        async def names(**params):
            response = await client.get("/timeseries_properties/", params=params, headers=admin.headers)
            assert response.status_code == 200, response.text
            return [item["name"] for item in response.json()]

        assert await names(value_type="float") == ["Min", "Max", "Interval", "Area"]
        assert await names(value_type="float", sort="name") == ["Area", "Interval", "Max", "Min"]
        assert await names(unit_symbol="s") == ["Interval"]
        assert await names(name="Brand") == ["Brand"]
        assert await names(sort="name") == ["Area", "Brand", "Interval", "Max", "Min"]
        assert await names(sort="-name") == ["Min", "Max", "Interval", "Brand", "Area"]

    async def test_an_unknown_value_type_filter_is_422(self, client, admin):
        response = await client.get(
            "/timeseries_properties/", params={"value_type": "x"}, headers=admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {"value_type": ["Must be one of: integer, float, boolean, string."]}
        }

    async def test_everyone_reads_them_and_inactive_users_do_not(self, client, user, inactive):
        assert len((await client.get("/timeseries_properties/", headers=user.headers)).json()) == 3
        assert (await client.get("/timeseries_properties/1", headers=user.headers)).status_code == 200
        assert (await client.get("/timeseries_properties/", headers=inactive.headers)).status_code == 403


class TestDataStates:
    async def test_crud_with_etags(self, client, admin):
        made = await create(client, "/timeseries_data_states/", admin.headers, name="Checked")
        path = f"/timeseries_data_states/{made['id']}"
        etag = await etag_of(client, path, admin.headers)
        renamed = await client.put(
            path, json={"name": "Validated"}, headers=admin.headers | {"If-Match": etag}
        )
        assert renamed.json() == {"id": made["id"], "name": "Validated"}
        assert (await client.delete(path, headers=admin.headers)).status_code == 428
        assert (await client.delete(path, headers=admin.headers | {"If-Match": "*"})).status_code == 204
        assert (await client.get(path, headers=admin.headers)).status_code == 404

    async def test_names_are_unique_and_1_to_80_characters(self, client, admin):
        again = await client.post("/timeseries_data_states/", json={"name": "Raw"}, headers=admin.headers)
        assert again.status_code == 409
        long = await client.post("/timeseries_data_states/", json={"name": "x" * 81}, headers=admin.headers)
        assert long.json()["errors"]["json"] == {"name": ["Longer than maximum length 80."]}

    async def test_the_list_takes_no_arguments_and_ignores_unknown_ones(self, client, admin):
        response = await client.get(
            "/timeseries_data_states/", params={"name": "Raw", "sort": "-x"}, headers=admin.headers
        )
        assert [item["name"] for item in response.json()] == ["Raw", "Clean"]

    async def test_everyone_reads_them_only_admins_write(self, client, user):
        assert (await client.get("/timeseries_data_states/2", headers=user.headers)).json() == {
            "id": 2,
            "name": "Clean",
        }
        response = await client.post("/timeseries_data_states/", json={"name": "X"}, headers=user.headers)
        assert response.status_code == 403
        put = await client.put(
            "/timeseries_data_states/1", json={"name": "X"}, headers=user.headers | {"If-Match": "*"}
        )
        assert put.status_code == 403
