"""/users/ and its permission rules."""

from tests.conftest import Users
from tests.helpers import create, etag_of


class TestListUsers:
    async def test_admin_sees_every_user(self, client, users: Users):
        response = await client.get("/users/", headers=users.admin.headers)
        assert response.status_code == 200
        assert [u["name"] for u in response.json()] == ["Chuck", "Active", "Inactive"]
        assert response.json()[0] == {
            "id": users.admin.id,
            "name": "Chuck",
            "email": "chuck@test.com",
            "is_admin": True,
            "is_active": True,
        }

    async def test_user_sees_only_themself(self, client, users: Users):
        response = await client.get("/users/", headers=users.active.headers)
        assert [u["id"] for u in response.json()] == [users.active.id]

    async def test_user_can_filter_by_own_email(self, client, users: Users):
        response = await client.get(
            "/users/", params={"email": users.active.email}, headers=users.active.headers
        )
        assert [u["id"] for u in response.json()] == [users.active.id]

    async def test_inactive_user_is_forbidden(self, client, users: Users):
        response = await client.get("/users/", headers=users.inactive.headers)
        assert response.status_code == 403
        assert response.json() == {
            "code": 403,
            "status": "Forbidden",
            "message": "Authorization error",
        }

    async def test_filters_and_sort(self, client, users: Users):
        response = await client.get(
            "/users/", params={"is_admin": "false", "sort": "-name"}, headers=users.admin.headers
        )
        assert [u["name"] for u in response.json()] == ["Inactive", "Active"]

    async def test_unknown_query_arguments_are_ignored(self, client, users: Users):
        response = await client.get("/users/", params={"dummy": "1"}, headers=users.admin.headers)
        assert response.status_code == 200

    async def test_bad_sort_field_is_422(self, client, users: Users):
        response = await client.get("/users/", params={"sort": "name,password"}, headers=users.admin.headers)
        assert response.status_code == 422
        assert "sort" in response.json()["errors"]["query"]
        assert list(response.json()["errors"]["query"]["sort"]) == ["1"]


class TestCreateUser:
    async def test_admin_creates_a_user_who_can_log_in(self, client, admin):
        body = {"name": "New", "email": "new@test.com", "password": "secret"}
        response = await client.post("/users/", json=body, headers=admin.headers)
        assert response.status_code == 201
        assert response.json()["is_admin"] is False
        assert response.json()["is_active"] is True
        assert "password" not in response.json()
        assert response.headers["ETag"]
        login = await client.post("/auth/token", json={"email": "new@test.com", "password": "secret"})
        assert login.json()["status"] == "success"

    async def test_non_admin_cannot_create(self, client, user):
        body = {"name": "New", "email": "new@test.com", "password": "secret"}
        response = await client.post("/users/", json=body, headers=user.headers)
        assert response.status_code == 403

    async def test_duplicate_email_is_409(self, client, admin):
        body = {"name": "Again", "email": admin.email, "password": "secret"}
        response = await client.post("/users/", json=body, headers=admin.headers)
        assert response.status_code == 409
        assert response.json()["message"] == "Unique constraint violation"

    async def test_read_only_and_unknown_fields_are_rejected(self, client, admin):
        body = {"name": "N", "email": "n@test.com", "password": "x", "is_admin": True, "id": 9}
        response = await client.post("/users/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "is_admin": ["Unknown field."],
            "id": ["Unknown field."],
        }

    async def test_missing_fields_are_named(self, client, admin):
        response = await client.post("/users/", json={"name": "N"}, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "email": ["Missing data for required field."],
            "password": ["Missing data for required field."],
        }

    async def test_bad_email_and_lengths(self, client, admin):
        body = {"name": "", "email": "nope", "password": "x" * 81}
        response = await client.post("/users/", json=body, headers=admin.headers)
        errors = response.json()["errors"]["json"]
        assert errors["email"] == ["Not a valid email address."]
        assert set(errors) == {"name", "email", "password"}

    async def test_null_for_a_required_field(self, client, admin):
        body = {"name": None, "email": "n@test.com", "password": "x"}
        response = await client.post("/users/", json=body, headers=admin.headers)
        assert response.json()["errors"]["json"] == {"name": ["Field may not be null."]}


class TestUpdateUser:
    async def test_user_updates_themself(self, client, user):
        etag = await etag_of(client, f"/users/{user.id}", user.headers)
        body = {"name": "Renamed", "email": user.email, "password": "new password"}
        response = await client.put(f"/users/{user.id}", json=body, headers=user.headers | {"If-Match": etag})
        assert response.status_code == 200
        assert response.json()["name"] == "Renamed"
        assert response.headers["ETag"] != etag
        login = await client.post("/auth/token", json={"email": user.email, "password": "new password"})
        assert login.json()["status"] == "success"

    async def test_user_cannot_update_another_user(self, client, users: Users):
        body = {"name": "X", "email": "x@test.com", "password": "x"}
        headers = users.active.headers | {"If-Match": "*"}
        response = await client.put(f"/users/{users.admin.id}", json=body, headers=headers)
        assert response.status_code == 403


class TestDeleteUser:
    async def test_admin_deletes_a_user(self, client, users: Users):
        etag = await etag_of(client, f"/users/{users.active.id}", users.admin.headers)
        response = await client.delete(
            f"/users/{users.active.id}", headers=users.admin.headers | {"If-Match": etag}
        )
        assert response.status_code == 204
        assert (await client.get(f"/users/{users.active.id}", headers=users.admin.headers)).status_code == 404

    async def test_user_cannot_delete_themself(self, client, user):
        response = await client.delete(f"/users/{user.id}", headers=user.headers | {"If-Match": "*"})
        assert response.status_code == 403


class TestSetFlags:
    async def test_admin_sets_admin_and_gets_new_etag(self, client, users: Users):
        path = f"/users/{users.active.id}"
        etag = await etag_of(client, path, users.admin.headers)
        response = await client.put(
            path + "/set_admin",
            json={"value": True},
            headers=users.admin.headers | {"If-Match": etag},
        )
        assert response.status_code == 204
        assert response.headers["ETag"] == await etag_of(client, path, users.admin.headers)
        assert (await client.get(path, headers=users.admin.headers)).json()["is_admin"] is True

    async def test_deactivated_user_cannot_log_in(self, client, users: Users):
        path = f"/users/{users.active.id}/set_active"
        response = await client.put(
            path, json={"value": False}, headers=users.admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 204
        login = await client.post("/auth/token", json={"email": users.active.email, "password": "p@ssw0rd"})
        assert login.json() == {"status": "failure"}

    async def test_missing_value_is_422_not_500(self, client, users: Users):
        path = f"/users/{users.active.id}/set_admin"
        response = await client.put(path, json={}, headers=users.admin.headers | {"If-Match": "*"})
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {"value": ["Missing data for required field."]}

    async def test_user_cannot_make_themself_admin(self, client, user):
        response = await client.put(
            f"/users/{user.id}/set_admin",
            json={"value": True},
            headers=user.headers | {"If-Match": "*"},
        )
        assert response.status_code == 403

    async def test_stale_etag_is_412_and_missing_is_428(self, client, users: Users):
        path = f"/users/{users.active.id}/set_active"
        stale = await client.put(
            path, json={"value": True}, headers=users.admin.headers | {"If-Match": '"x"'}
        )
        assert stale.status_code == 412
        missing = await client.put(path, json={"value": True}, headers=users.admin.headers)
        assert missing.status_code == 428


class TestGroups:
    async def test_user_sees_only_their_groups_and_memberships(self, client, users: Users):
        mine = await create(client, "/user_groups/", users.admin.headers, name="Mine")
        await create(client, "/user_groups/", users.admin.headers, name="Other")
        membership = await create(
            client,
            "/users_by_user_groups/",
            users.admin.headers,
            user_id=users.active.id,
            user_group_id=mine["id"],
        )
        groups = await client.get("/user_groups/", headers=users.active.headers)
        assert [g["name"] for g in groups.json()] == ["Mine"]
        links = await client.get("/users_by_user_groups/", headers=users.active.headers)
        assert links.json() == [membership]

    async def test_membership_delete_needs_no_if_match(self, client, users: Users):
        group = await create(client, "/user_groups/", users.admin.headers, name="G")
        link = await create(
            client,
            "/users_by_user_groups/",
            users.admin.headers,
            user_id=users.active.id,
            user_group_id=group["id"],
        )
        response = await client.delete(f"/users_by_user_groups/{link['id']}", headers=users.admin.headers)
        assert response.status_code == 204
        assert "ETag" not in response.headers

    async def test_membership_to_unknown_user_is_409(self, client, admin):
        group = await create(client, "/user_groups/", admin.headers, name="G")
        response = await client.post(
            "/users_by_user_groups/",
            json={"user_id": 999, "user_group_id": group["id"]},
            headers=admin.headers,
        )
        assert response.status_code == 409
        assert response.json()["message"] == "Foreign key constraint violation"

    async def test_deleting_a_group_deletes_its_memberships(self, client, users: Users):
        group = await create(client, "/user_groups/", users.admin.headers, name="G")
        await create(
            client,
            "/users_by_user_groups/",
            users.admin.headers,
            user_id=users.active.id,
            user_group_id=group["id"],
        )
        response = await client.delete(
            f"/user_groups/{group['id']}", headers=users.admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 204
        assert (await client.get("/users_by_user_groups/", headers=users.admin.headers)).json() == []
