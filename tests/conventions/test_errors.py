"""The error envelope of every resource: 400, 401, 403, 404, 405, 409 and 422."""

from tests.conftest import Users
from tests.conventions.resources import (
    UNKNOWN_ID,
    need_factory,
    operations,
    over,
    required_fields,
    update_body,
)
from tests.factories import FACTORIES, Maker, make_row, valid_body

NOT_FOUND = {"code": 404, "status": "Not Found"}
FORBIDDEN = {"code": 403, "status": "Forbidden", "message": "Authorization error"}
METHOD_NOT_ALLOWED = {"code": 405, "status": "Method Not Allowed"}


def body_for(method: str) -> dict | None:
    return {} if method in ("POST", "PUT") else None


@over()
async def test_401_without_credentials(client, resource):
    for method, path in operations(resource):
        response = await client.request(method, path, json=body_for(method))
        assert response.status_code == 401, (method, path)
        assert response.json() == {
            "code": 401,
            "status": "Unauthorized",
            "errors": {"authentication": "missing_authentication"},
        }
        assert response.headers["WWW-Authenticate"] == "Bearer, Basic"


@over()
async def test_401_comes_before_the_etag_precondition_and_validation(client, resource):
    for method, path in operations(resource):
        response = await client.request(
            method, path, json=body_for(method), headers={"Authorization": "Bearer x"}
        )
        assert response.status_code == 401, (method, path)
        assert response.json()["errors"] == {"authentication": "invalid_token"}


@over()
async def test_403_for_an_inactive_user(client, users: Users, resource):
    """Inactive users are refused right after authentication, before any other check."""
    for method, path in operations(resource):
        response = await client.request(method, path, json=body_for(method), headers=users.inactive.headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json() == FORBIDDEN


@over(lambda r: r.get)
async def test_404_unknown_item(client, users: Users, resource):
    response = await client.get(f"{resource.path}{UNKNOWN_ID}", headers=users.admin.headers)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@over(lambda r: r.delete)
async def test_404_deleting_an_unknown_item(client, users: Users, resource):
    response = await client.delete(
        f"{resource.path}{UNKNOWN_ID}", headers=users.admin.headers | {"If-Match": "*"}
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@over(lambda r: r.update is not None)
async def test_404_updating_an_unknown_item(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    body = update_body(resource, await valid_body(maker, resource.path, 1))
    response = await client.put(
        f"{resource.path}{UNKNOWN_ID}", json=body, headers=users.admin.headers | {"If-Match": "*"}
    )
    assert response.status_code == 404, response.text
    assert response.json() == NOT_FOUND


@over(lambda r: r.get or r.update is not None or r.delete)
async def test_404_for_a_non_integer_or_out_of_range_id(client, users: Users, resource):
    headers = users.admin.headers | {"If-Match": "*"}
    methods = [method for method, path in operations(resource) if path != resource.path]
    for item_id in ("abc", "1.5", "-1", "1e3", "99999999999999999999"):
        for method in methods:
            response = await client.request(method, f"{resource.path}{item_id}", headers=headers)
            assert response.status_code == 404, (method, item_id)
            assert response.json() == NOT_FOUND


@over(lambda r: r.get)
async def test_404_for_a_non_integer_id_even_without_credentials(client, resource):
    response = await client.get(f"{resource.path}abc")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def has_items(resource) -> bool:
    return resource.get or resource.update is not None or resource.delete


@over()
async def test_405_envelope_and_allow_header(client, users: Users, resource):
    places = [("collection", resource.path)]
    if has_items(resource):
        places.append(("item", f"{resource.path}1"))
    for where, path in places:
        response = await client.patch(path, json={}, headers=users.admin.headers)
        assert response.status_code == 405, where
        assert response.json() == METHOD_NOT_ALLOWED
        allowed = set(response.headers["Allow"].split(", "))
        assert "PATCH" not in allowed
        if where == "collection" and resource.list:
            assert {"GET", "HEAD"} <= allowed
        if where == "collection" and resource.create is not None:
            assert "POST" in allowed
        if where == "item" and resource.delete:
            assert "DELETE" in allowed


@over(lambda r: r.update is None and has_items(r))
async def test_put_on_a_resource_without_update_is_405(client, users: Users, resource):
    response = await client.put(f"{resource.path}1", json={}, headers=users.admin.headers | {"If-Match": "*"})
    assert response.status_code == 405
    assert response.json() == METHOD_NOT_ALLOWED


@over(lambda r: not has_items(r))
async def test_a_list_only_resource_has_no_item_route(client, users: Users, resource):
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        response = await client.request(method, f"{resource.path}1", headers=users.admin.headers)
        assert response.status_code == 404, method
        assert response.json() == NOT_FOUND


@over(lambda r: r.create is not None)
async def test_400_invalid_json(client, users: Users, resource):
    headers = users.admin.headers | {"Content-Type": "application/json"}
    response = await client.post(resource.path, content=b'{"name": ', headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "code": 400,
        "status": "Bad Request",
        "errors": {"json": ["Invalid JSON body."]},
    }


@over(lambda r: r.create is not None)
async def test_422_unknown_field(client, users: Users, resource):
    response = await client.post(resource.path, json={"not_a_field": 1, "id": 5}, headers=users.admin.headers)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["status"]) == (422, "Unprocessable Entity")
    assert body["errors"]["json"]["not_a_field"] == ["Unknown field."]
    assert body["errors"]["json"]["id"] == ["Unknown field."]


@over(lambda r: r.create is not None and bool(required_fields(r.create)))
async def test_422_names_each_missing_required_field(client, users: Users, resource):
    response = await client.post(resource.path, json={}, headers=users.admin.headers)
    assert response.status_code == 422
    errors = response.json()["errors"]["json"]
    for name in required_fields(resource.create):
        assert errors[name] == ["Missing data for required field."]


@over(lambda r: r.create is not None)
async def test_422_body_that_is_not_an_object(client, users: Users, resource):
    response = await client.post(resource.path, json=[1, 2], headers=users.admin.headers)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["json"]


@over(lambda r: r.update is not None and bool(required_fields(r.update)))
async def test_422_on_put_names_each_missing_required_field(client, users: Users, resource):
    response = await client.put(
        f"{resource.path}{UNKNOWN_ID}", json={}, headers=users.admin.headers | {"If-Match": "*"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]["json"]
    for name in required_fields(resource.update):
        assert errors[name] == ["Missing data for required field."]


# Resources whose factory says duplicates are allowed (events, notifications) have no 409 to check.
@over(lambda r: r.create is not None and (r.path not in FACTORIES or FACTORIES[r.path].unique))
async def test_409_envelope_on_a_duplicate(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    body = await valid_body(maker, resource.path, 1)
    first = await client.post(resource.path, json=body, headers=users.admin.headers)
    assert first.status_code == 201, first.text
    again = await client.post(resource.path, json=body, headers=users.admin.headers)
    assert again.status_code == 409
    payload = again.json()
    assert (payload["code"], payload["status"]) == (409, "Conflict")
    assert set(payload) <= {"code", "status", "message"}


@over(lambda r: r.get)
async def test_403_item_of_another_user_or_404_never_leaks(client, users: Users, resource, maker: Maker):
    """A non-admin gets 403 or 200 on an existing item and 404 on a missing one: never a 500."""
    need_factory(resource)
    row = await make_row(maker, resource.path, 1)
    existing = await client.get(f"{resource.path}{row['id']}", headers=users.active.headers)
    assert existing.status_code in (200, 403)
    if existing.status_code == 403:
        assert existing.json() == FORBIDDEN
    missing = await client.get(f"{resource.path}{UNKNOWN_ID}", headers=users.active.headers)
    assert missing.status_code == 404
