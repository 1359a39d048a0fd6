"""/campaign_scopes/: fields, the campaign filter, PUT without campaign_id, scope membership."""

import pytest

from tests.conftest import Users
from tests.helpers import create, etag_of, link_user_to_campaign


async def link_user_to_scope(
    client, admin_headers, user_id: int, scope_id: int, name: str = "Scope group"
) -> int:
    group = await create(client, "/user_groups/", admin_headers, name=name)
    await create(client, "/users_by_user_groups/", admin_headers, user_id=user_id, user_group_id=group["id"])
    await create(
        client,
        "/user_groups_by_campaign_scopes/",
        admin_headers,
        user_group_id=group["id"],
        campaign_scope_id=scope_id,
    )
    return group["id"]


@pytest.fixture
async def campaign(client, admin) -> dict:
    return await create(client, "/campaigns/", admin.headers, name="Campaign", timezone="UTC")


class TestCreateScope:
    async def test_fields_in_the_reference_order(self, client, admin, campaign):
        response = await client.post(
            "/campaign_scopes/",
            json={"campaign_id": campaign["id"], "description": "d", "name": "S"},
            headers=admin.headers,
        )
        assert response.status_code == 201
        assert list(response.json()) == ["id", "name", "description", "campaign_id"]

    async def test_same_name_in_two_campaigns_but_not_twice_in_one(self, client, admin, campaign):
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        await create(client, "/campaign_scopes/", admin.headers, name="S", campaign_id=campaign["id"])
        await create(client, "/campaign_scopes/", admin.headers, name="S", campaign_id=other["id"])
        again = await client.post(
            "/campaign_scopes/", json={"name": "S", "campaign_id": campaign["id"]}, headers=admin.headers
        )
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"

    async def test_unknown_campaign_is_409(self, client, admin):
        response = await client.post(
            "/campaign_scopes/", json={"name": "S", "campaign_id": 999}, headers=admin.headers
        )
        assert response.status_code == 409
        assert response.json()["message"] == "Foreign key constraint violation"

    async def test_ids_out_of_the_database_range_are_422(self, client, admin):
        for campaign_id in (2**31, -(2**31) - 1, 2**63):
            response = await client.post(
                "/campaign_scopes/", json={"name": "S", "campaign_id": campaign_id}, headers=admin.headers
            )
            assert response.status_code == 422
            assert response.json()["errors"] == {"json": {"campaign_id": ["Not a valid id."]}}
        listed = await client.get("/campaign_scopes/", params={"campaign_id": 2**40}, headers=admin.headers)
        assert listed.json()["errors"] == {"query": {"campaign_id": ["Not a valid id."]}}

    async def test_campaign_member_cannot_create(self, client, users: Users, campaign):
        await link_user_to_campaign(client, users.admin.headers, users.active.id, campaign["id"])
        response = await client.post(
            "/campaign_scopes/",
            json={"name": "S", "campaign_id": campaign["id"]},
            headers=users.active.headers,
        )
        assert response.status_code == 403


class TestListScopes:
    async def test_filters_and_sort(self, client, admin, campaign):
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        for name, owner in (("B", campaign), ("A", campaign), ("A", other)):
            await create(client, "/campaign_scopes/", admin.headers, name=name, campaign_id=owner["id"])
        params = {"campaign_id": campaign["id"], "sort": "-name"}
        response = await client.get("/campaign_scopes/", params=params, headers=admin.headers)
        assert [(s["name"], s["campaign_id"]) for s in response.json()] == [
            ("B", campaign["id"]),
            ("A", campaign["id"]),
        ]
        named = await client.get("/campaign_scopes/", params={"name": "A"}, headers=admin.headers)
        assert len(named.json()) == 2

    async def test_an_unknown_campaign_gives_an_empty_list(self, client, user):
        response = await client.get("/campaign_scopes/", params={"campaign_id": 999}, headers=user.headers)
        assert response.status_code == 200
        assert response.json() == []

    async def test_filtering_on_a_campaign_one_cannot_read_is_403(self, client, users: Users, campaign):
        response = await client.get(
            "/campaign_scopes/", params={"campaign_id": campaign["id"]}, headers=users.active.headers
        )
        assert response.status_code == 403

    async def test_scope_members_see_their_scopes_only(self, client, users: Users, campaign):
        mine = await create(
            client, "/campaign_scopes/", users.admin.headers, name="Mine", campaign_id=campaign["id"]
        )
        await create(
            client, "/campaign_scopes/", users.admin.headers, name="Other", campaign_id=campaign["id"]
        )
        await link_user_to_scope(client, users.admin.headers, users.active.id, mine["id"])
        response = await client.get("/campaign_scopes/", headers=users.active.headers)
        assert [s["name"] for s in response.json()] == ["Mine"]
        item = await client.get(f"/campaign_scopes/{mine['id']}", headers=users.active.headers)
        assert item.status_code == 200

    async def test_campaign_membership_gives_no_scope_rights(self, client, users: Users, campaign):
        scope = await create(
            client, "/campaign_scopes/", users.admin.headers, name="S", campaign_id=campaign["id"]
        )
        await link_user_to_campaign(client, users.admin.headers, users.active.id, campaign["id"])
        assert (await client.get("/campaign_scopes/", headers=users.active.headers)).json() == []
        item = await client.get(f"/campaign_scopes/{scope['id']}", headers=users.active.headers)
        assert item.status_code == 403


class TestUpdateScope:
    async def test_put_renames_and_resets_the_description(self, client, admin, campaign):
        scope = await create(
            client, "/campaign_scopes/", admin.headers, name="S", description="d", campaign_id=campaign["id"]
        )
        path = f"/campaign_scopes/{scope['id']}"
        etag = await etag_of(client, path, admin.headers)
        response = await client.put(path, json={"name": "T"}, headers=admin.headers | {"If-Match": etag})
        assert response.status_code == 200
        assert response.json() == {"id": scope["id"], "name": "T", "campaign_id": campaign["id"]}

    async def test_a_scope_cannot_move_to_another_campaign(self, client, admin, campaign):
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        scope = await create(client, "/campaign_scopes/", admin.headers, name="S", campaign_id=campaign["id"])
        response = await client.put(
            f"/campaign_scopes/{scope['id']}",
            json={"name": "S", "campaign_id": other["id"]},
            headers=admin.headers | {"If-Match": "*"},
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {"campaign_id": ["Unknown field."]}


class TestDeleteScope:
    async def test_admin_deletes_and_the_group_links_go_with_it(self, client, users: Users, campaign):
        scope = await create(
            client, "/campaign_scopes/", users.admin.headers, name="S", campaign_id=campaign["id"]
        )
        await link_user_to_scope(client, users.admin.headers, users.active.id, scope["id"])
        path = f"/campaign_scopes/{scope['id']}"
        assert (
            await client.delete(path, headers=users.active.headers | {"If-Match": "*"})
        ).status_code == 403
        assert (await client.delete(path, headers=users.admin.headers | {"If-Match": "*"})).status_code == 204
        links = await client.get("/user_groups_by_campaign_scopes/", headers=users.admin.headers)
        assert links.json() == []
