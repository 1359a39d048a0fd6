"""/user_groups_by_campaigns/ and /user_groups_by_campaign_scopes/: association rows, no ETag, no PUT."""

import pytest

from tests.conftest import Users
from tests.helpers import create

LINKS = {
    "/user_groups_by_campaigns/": ("campaign_id", "/campaigns/"),
    "/user_groups_by_campaign_scopes/": ("campaign_scope_id", "/campaign_scopes/"),
}


@pytest.fixture
async def targets(client, admin) -> dict[str, list[dict]]:
    """Two campaigns and one scope in each, by link path."""
    campaigns = [
        await create(client, "/campaigns/", admin.headers, name=f"C{n}", timezone="UTC") for n in range(2)
    ]
    scopes = [
        await create(client, "/campaign_scopes/", admin.headers, name="S", campaign_id=c["id"])
        for c in campaigns
    ]
    return {"/user_groups_by_campaigns/": campaigns, "/user_groups_by_campaign_scopes/": scopes}


async def groups(client, admin, count: int = 2) -> list[dict]:
    return [await create(client, "/user_groups/", admin.headers, name=f"G{n}") for n in range(count)]


@pytest.mark.parametrize("path", LINKS)
class TestGroupLinks:
    async def test_create_read_and_delete_without_etags(self, client, admin, targets, path):
        key, _ = LINKS[path]
        group = (await groups(client, admin, 1))[0]
        target = targets[path][0]
        response = await client.post(
            path, json={key: target["id"], "user_group_id": group["id"]}, headers=admin.headers
        )
        assert response.status_code == 201
        assert "ETag" not in response.headers
        link = response.json()
        assert list(link.items()) == [("id", link["id"]), (key, target["id"]), ("user_group_id", group["id"])]
        read = await client.get(f"{path}{link['id']}", headers=admin.headers)
        assert read.json() == link
        assert "ETag" not in read.headers
        assert (await client.delete(f"{path}{link['id']}", headers=admin.headers)).status_code == 204
        assert (await client.get(f"{path}{link['id']}", headers=admin.headers)).status_code == 404

    async def test_there_is_no_put(self, client, admin, path):
        response = await client.put(f"{path}1", json={}, headers=admin.headers | {"If-Match": "*"})
        assert response.status_code == 405

    async def test_a_pair_is_linked_once(self, client, admin, targets, path):
        key, _ = LINKS[path]
        group = (await groups(client, admin, 1))[0]
        body = {key: targets[path][0]["id"], "user_group_id": group["id"]}
        await create(client, path, admin.headers, **body)
        again = await client.post(path, json=body, headers=admin.headers)
        assert again.status_code == 409
        assert again.json()["message"] == "Unique constraint violation"

    async def test_unknown_ids_are_409(self, client, admin, targets, path):
        key, _ = LINKS[path]
        group = (await groups(client, admin, 1))[0]
        for body in (
            {key: 999, "user_group_id": group["id"]},
            {key: targets[path][0]["id"], "user_group_id": 999},
        ):
            response = await client.post(path, json=body, headers=admin.headers)
            assert response.status_code == 409
            assert response.json()["message"] == "Foreign key constraint violation"

    async def test_filters_on_both_ids(self, client, admin, targets, path):
        key, _ = LINKS[path]
        first, second = await groups(client, admin)
        made = {}
        for group in (first, second):
            for target in targets[path]:
                row = await create(
                    client, path, admin.headers, **{key: target["id"], "user_group_id": group["id"]}
                )
                made[(group["id"], target["id"])] = row["id"]
        by_group = await client.get(path, params={"user_group_id": first["id"]}, headers=admin.headers)
        assert [r["id"] for r in by_group.json()] == [made[(first["id"], t["id"])] for t in targets[path]]
        target = targets[path][1]["id"]
        both = await client.get(
            path, params={"user_group_id": second["id"], key: target}, headers=admin.headers
        )
        assert [r["id"] for r in both.json()] == [made[(second["id"], target)]]

    async def test_members_see_the_links_of_their_groups_only(self, client, users: Users, targets, path):
        key, _ = LINKS[path]
        admin = users.admin
        mine, other = await groups(client, admin)
        await create(
            client, "/users_by_user_groups/", admin.headers, user_id=users.active.id, user_group_id=mine["id"]
        )
        target = targets[path][0]["id"]
        my_link = await create(client, path, admin.headers, **{key: target, "user_group_id": mine["id"]})
        other_link = await create(client, path, admin.headers, **{key: target, "user_group_id": other["id"]})
        listed = await client.get(path, headers=users.active.headers)
        assert [r["id"] for r in listed.json()] == [my_link["id"]]
        assert (await client.get(f"{path}{my_link['id']}", headers=users.active.headers)).status_code == 200
        assert (
            await client.get(f"{path}{other_link['id']}", headers=users.active.headers)
        ).status_code == 403
        assert (
            await client.delete(f"{path}{my_link['id']}", headers=users.active.headers)
        ).status_code == 403

    async def test_filtering_on_a_group_one_is_not_in_is_403(self, client, users: Users, path):
        group = (await groups(client, users.admin, 1))[0]
        response = await client.get(path, params={"user_group_id": group["id"]}, headers=users.active.headers)
        assert response.status_code == 403

    async def test_non_admin_cannot_link(self, client, users: Users, targets, path):
        key, _ = LINKS[path]
        group = (await groups(client, users.admin, 1))[0]
        body = {key: targets[path][0]["id"], "user_group_id": group["id"]}
        assert (await client.post(path, json=body, headers=users.active.headers)).status_code == 403
