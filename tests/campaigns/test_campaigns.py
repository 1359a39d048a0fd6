"""/campaigns/: fields, datetimes and timezones, filters, sort, ETags and who may do what."""

from tests.conftest import Users
from tests.helpers import create, etag_of, link_user_to_campaign

PARIS = {"name": "Paris", "timezone": "Europe/Paris"}


class TestCreateCampaign:
    async def test_admin_creates_a_campaign_with_fields_in_the_reference_order(self, client, admin):
        body = {
            "name": "C",
            "start_time": "2020-01-01T01:00:00+01:00",
            "end_time": "2021-06-30T23:00:00-02:00",
            "timezone": "Europe/Paris",
            "description": "A campaign",
        }
        response = await client.post("/campaigns/", json=body, headers=admin.headers)
        assert response.status_code == 201
        assert list(response.json().items()) == [
            ("id", response.json()["id"]),
            ("name", "C"),
            ("start_time", "2020-01-01T00:00:00+00:00"),
            ("end_time", "2021-07-01T01:00:00+00:00"),
            ("timezone", "Europe/Paris"),
            ("description", "A campaign"),
        ]
        assert response.headers["ETag"]

    async def test_optional_fields_left_out_are_absent_from_the_response(self, client, admin):
        response = await client.post("/campaigns/", json=PARIS, headers=admin.headers)
        assert set(response.json()) == {"id", "name", "timezone"}

    async def test_microseconds_are_kept(self, client, admin):
        body = PARIS | {"start_time": "2020-01-01T00:00:00.250000Z"}
        response = await client.post("/campaigns/", json=body, headers=admin.headers)
        assert response.json()["start_time"] == "2020-01-01T00:00:00.250000+00:00"

    async def test_timezone_is_required(self, client, admin):
        response = await client.post("/campaigns/", json={"name": "C"}, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {"timezone": ["Missing data for required field."]}

    async def test_a_timezone_outside_the_iana_list_is_422(self, client, admin):
        for timezone in ("Mars/Olympus", "US/Eastern", "europe/paris", ""):
            response = await client.post(
                "/campaigns/", json={"name": "C", "timezone": timezone}, headers=admin.headers
            )
            assert response.status_code == 422, timezone
            assert list(response.json()["errors"]["json"]) == ["timezone"]

    async def test_naive_datetimes_are_422(self, client, admin):
        body = PARIS | {"start_time": "2020-01-01T00:00:00", "end_time": "2020-01-02"}
        response = await client.post("/campaigns/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json() == {
            "code": 422,
            "status": "Unprocessable Entity",
            "errors": {
                "json": {
                    "start_time": ["Not a valid aware datetime."],
                    "end_time": ["Not a valid aware datetime."],
                }
            },
        }

    async def test_datetimes_out_of_range_or_unparsable_are_422(self, client, admin):
        body = PARIS | {"start_time": "1600-01-01T00:00:00+00:00", "end_time": "soon"}
        response = await client.post("/campaigns/", json=body, headers=admin.headers)
        errors = response.json()["errors"]["json"]
        assert errors["start_time"] == [
            "Must be greater than or equal to 1680-01-01 00:00:00+00:00 and "
            "less than or equal to 2260-01-01 00:00:00+00:00."
        ]
        assert errors["end_time"] == ["Not a valid datetime."]

    async def test_explicit_null_datetime_is_422(self, client, admin):
        response = await client.post("/campaigns/", json=PARIS | {"start_time": None}, headers=admin.headers)
        assert response.json()["errors"]["json"] == {"start_time": ["Field may not be null."]}

    async def test_null_description_is_accepted(self, client, admin):
        response = await client.post("/campaigns/", json=PARIS | {"description": None}, headers=admin.headers)
        assert response.status_code == 201

    async def test_lengths_are_checked(self, client, admin):
        body = {"name": "x" * 81, "timezone": "UTC", "description": "d" * 501}
        response = await client.post("/campaigns/", json=body, headers=admin.headers)
        assert response.json()["errors"]["json"] == {
            "name": ["Longer than maximum length 80."],
            "description": ["Longer than maximum length 500."],
        }

    async def test_duplicate_name_is_409(self, client, admin):
        await create(client, "/campaigns/", admin.headers, **PARIS)
        response = await client.post("/campaigns/", json=PARIS, headers=admin.headers)
        assert response.status_code == 409
        assert response.json() == {
            "code": 409,
            "status": "Conflict",
            "message": "Unique constraint violation",
        }

    async def test_non_admin_cannot_create(self, client, user):
        response = await client.post("/campaigns/", json=PARIS, headers=user.headers)
        assert response.status_code == 403


class TestListCampaigns:
    async def test_filters_by_exact_name_and_by_name_part(self, client, admin):
        for name in ("Alpha", "Beta", "alphabet 100%"):
            await create(client, "/campaigns/", admin.headers, name=name, timezone="UTC")
        exact = await client.get("/campaigns/", params={"name": "Alpha"}, headers=admin.headers)
        assert [c["name"] for c in exact.json()] == ["Alpha"]
        part = await client.get("/campaigns/", params={"in_name": "ALPHA"}, headers=admin.headers)
        assert [c["name"] for c in part.json()] == ["Alpha", "alphabet 100%"]

    async def test_in_name_treats_percent_and_underscore_literally(self, client, admin):
        for name in ("100%", "1000", "a_b", "axb"):
            await create(client, "/campaigns/", admin.headers, name=name, timezone="UTC")
        percent = await client.get("/campaigns/", params={"in_name": "0%"}, headers=admin.headers)
        assert [c["name"] for c in percent.json()] == ["100%"]
        underscore = await client.get("/campaigns/", params={"in_name": "_"}, headers=admin.headers)
        assert [c["name"] for c in underscore.json()] == ["a_b"]

    async def test_sort_by_name_both_ways(self, client, admin):
        for name in ("B", "A", "C"):
            await create(client, "/campaigns/", admin.headers, name=name, timezone="UTC")
        down = await client.get("/campaigns/", params={"sort": "-name"}, headers=admin.headers)
        assert [c["name"] for c in down.json()] == ["C", "B", "A"]
        up = await client.get("/campaigns/", params={"sort": "+name"}, headers=admin.headers)
        assert [c["name"] for c in up.json()] == ["A", "B", "C"]

    async def test_members_see_only_their_campaigns(self, client, users: Users):
        mine = await create(client, "/campaigns/", users.admin.headers, name="Mine", timezone="UTC")
        await create(client, "/campaigns/", users.admin.headers, name="Other", timezone="UTC")
        await link_user_to_campaign(client, users.admin.headers, users.active.id, mine["id"])
        response = await client.get("/campaigns/", headers=users.active.headers)
        assert [c["name"] for c in response.json()] == ["Mine"]

    async def test_a_list_answers_304_to_its_etag(self, client, admin):
        await create(client, "/campaigns/", admin.headers, **PARIS)
        etag = await etag_of(client, "/campaigns/", admin.headers)
        response = await client.get("/campaigns/", headers=admin.headers | {"If-None-Match": etag})
        assert response.status_code == 304


class TestGetCampaign:
    async def test_member_reads_non_member_is_forbidden(self, client, users: Users):
        campaign = await create(client, "/campaigns/", users.admin.headers, **PARIS)
        path = f"/campaigns/{campaign['id']}"
        assert (await client.get(path, headers=users.active.headers)).status_code == 403
        await link_user_to_campaign(client, users.admin.headers, users.active.id, campaign["id"])
        response = await client.get(path, headers=users.active.headers)
        assert response.status_code == 200
        assert response.json() == campaign

    async def test_unknown_campaign_is_404(self, client, admin):
        response = await client.get("/campaigns/12345", headers=admin.headers)
        assert response.status_code == 404


class TestUpdateCampaign:
    async def test_put_replaces_the_whole_document(self, client, admin):
        body = PARIS | {"start_time": "2020-01-01T00:00:00+00:00", "description": "old"}
        campaign = await create(client, "/campaigns/", admin.headers, **body)
        path = f"/campaigns/{campaign['id']}"
        etag = await etag_of(client, path, admin.headers)
        response = await client.put(
            path, json={"name": "Lyon", "timezone": "UTC"}, headers=admin.headers | {"If-Match": etag}
        )
        assert response.status_code == 200
        assert response.json() == {"id": campaign["id"], "name": "Lyon", "timezone": "UTC"}
        assert response.headers["ETag"] == await etag_of(client, path, admin.headers)

    async def test_put_needs_if_match_then_a_current_etag(self, client, admin):
        campaign = await create(client, "/campaigns/", admin.headers, **PARIS)
        path = f"/campaigns/{campaign['id']}"
        missing = await client.put(path, json=PARIS, headers=admin.headers)
        assert missing.status_code == 428
        stale = await client.put(path, json=PARIS, headers=admin.headers | {"If-Match": '"stale"'})
        assert stale.status_code == 412

    async def test_put_validates_the_timezone(self, client, admin):
        campaign = await create(client, "/campaigns/", admin.headers, **PARIS)
        response = await client.put(
            f"/campaigns/{campaign['id']}",
            json={"name": "Paris", "timezone": "Nowhere"},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 422

    async def test_renaming_onto_another_campaign_is_409(self, client, admin):
        await create(client, "/campaigns/", admin.headers, name="Taken", timezone="UTC")
        campaign = await create(client, "/campaigns/", admin.headers, **PARIS)
        response = await client.put(
            f"/campaigns/{campaign['id']}",
            json={"name": "Taken", "timezone": "UTC"},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 409

    async def test_member_cannot_update_but_a_stale_etag_is_412_first(self, client, users: Users):
        campaign = await create(client, "/campaigns/", users.admin.headers, **PARIS)
        await link_user_to_campaign(client, users.admin.headers, users.active.id, campaign["id"])
        path = f"/campaigns/{campaign['id']}"
        stale = await client.put(path, json=PARIS, headers=users.active.headers | {"If-Match": '"x"'})
        assert stale.status_code == 412
        current = await client.put(path, json=PARIS, headers=users.active.headers | {"If-Match": "*"})
        assert current.status_code == 403


class TestDeleteCampaign:
    async def test_admin_deletes_with_the_current_etag(self, client, admin):
        campaign = await create(client, "/campaigns/", admin.headers, **PARIS)
        path = f"/campaigns/{campaign['id']}"
        etag = await etag_of(client, path, admin.headers)
        response = await client.delete(path, headers=admin.headers | {"If-Match": etag})
        assert response.status_code == 204
        assert (await client.get(path, headers=admin.headers)).status_code == 404

    async def test_deleting_a_campaign_deletes_its_scopes_sites_zones_and_group_links(self, client, admin):
        campaign = await create(client, "/campaigns/", admin.headers, **PARIS)
        group = await create(client, "/user_groups/", admin.headers, name="G")
        links = await create(
            client,
            "/user_groups_by_campaigns/",
            admin.headers,
            campaign_id=campaign["id"],
            user_group_id=group["id"],
        )
        scope = await create(client, "/campaign_scopes/", admin.headers, name="S", campaign_id=campaign["id"])
        site = await create(client, "/sites/", admin.headers, name="S", campaign_id=campaign["id"])
        zone = await create(client, "/zones/", admin.headers, name="Z", campaign_id=campaign["id"])
        response = await client.delete(
            f"/campaigns/{campaign['id']}", headers=admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 204
        for path in (
            f"/user_groups_by_campaigns/{links['id']}",
            f"/campaign_scopes/{scope['id']}",
            f"/sites/{site['id']}",
            f"/zones/{zone['id']}",
        ):
            assert (await client.get(path, headers=admin.headers)).status_code == 404, path
        assert (await client.get(f"/user_groups/{group['id']}", headers=admin.headers)).status_code == 200

    async def test_member_cannot_delete(self, client, users: Users):
        campaign = await create(client, "/campaigns/", users.admin.headers, **PARIS)
        await link_user_to_campaign(client, users.admin.headers, users.active.id, campaign["id"])
        response = await client.delete(
            f"/campaigns/{campaign['id']}", headers=users.active.headers | {"If-Match": "*"}
        )
        assert response.status_code == 403
