"""ETag, If-None-Match (304) and If-Match (412/428) on every resource; none on association resources."""

from bemserver.http.etag import IF_MATCH_MISSING
from tests.conftest import Users
from tests.conventions.resources import UNKNOWN_ID, need_factory, over, update_body
from tests.factories import Maker, make_row, valid_body

PRECONDITION_REQUIRED = {"code": 428, "status": "Precondition Required", "message": IF_MATCH_MISSING}
PRECONDITION_FAILED = {"code": 412, "status": "Precondition Failed"}
STALE = '"0000000000000000000000000000000000000000"'


def is_strong_quoted(etag: str) -> bool:
    return etag.startswith('"') and etag.endswith('"') and len(etag) > 2


@over(lambda r: r.etag and r.list)
async def test_list_has_an_etag_and_answers_304(client, users: Users, resource):
    headers = users.admin.headers
    response = await client.get(resource.path, headers=headers)
    etag = response.headers["ETag"]
    assert is_strong_quoted(etag)
    again = await client.get(resource.path, headers=headers | {"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag


@over(lambda r: r.etag and r.list)
async def test_list_etag_changes_with_the_content(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    before = (await client.get(resource.path, headers=users.admin.headers)).headers["ETag"]
    await make_row(maker, resource.path, 1)
    response = await client.get(resource.path, headers=users.admin.headers | {"If-None-Match": before})
    assert response.status_code == 200
    assert response.headers["ETag"] != before


@over(lambda r: r.etag and r.get)
async def test_item_etag_304_and_weak_or_listed_tags(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    row = await make_row(maker, resource.path, 1)
    path = f"{resource.path}{row['id']}"
    etag = (await client.get(path, headers=users.admin.headers)).headers["ETag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await client.get(path, headers=users.admin.headers | {"If-None-Match": value})
        assert response.status_code == 304, value
    other = await client.get(path, headers=users.admin.headers | {"If-None-Match": STALE})
    assert other.status_code == 200


@over(lambda r: r.etag and r.create is not None and r.get)
async def test_post_returns_the_etag_that_get_returns(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    response = await client.post(
        resource.path, json=await valid_body(maker, resource.path, 1), headers=users.admin.headers
    )
    assert response.status_code == 201
    got = await client.get(f"{resource.path}{response.json()['id']}", headers=users.admin.headers)
    assert response.headers["ETag"] == got.headers["ETag"]
    assert response.json() == got.json()


@over(lambda r: r.needs_if_match and (r.update is not None or r.delete))
async def test_428_without_if_match_even_for_an_unknown_item(client, users: Users, resource):
    for method in ("PUT", "DELETE"):
        if (method == "PUT" and resource.update is None) or (method == "DELETE" and not resource.delete):
            continue
        response = await client.request(
            method,
            f"{resource.path}{UNKNOWN_ID}",
            json={} if method == "PUT" else None,
            headers=users.admin.headers,
        )
        assert response.status_code == 428, method
        assert response.json() == PRECONDITION_REQUIRED


@over(lambda r: r.needs_if_match and r.update is not None)
async def test_put_with_a_stale_etag_is_412_then_current_or_star_passes(
    client, users: Users, resource, maker
):
    need_factory(resource)
    row = await make_row(maker, resource.path, 1)
    path = f"{resource.path}{row['id']}"
    body = update_body(resource, await valid_body(maker, resource.path, 2), row)
    stale = await client.put(path, json=body, headers=users.admin.headers | {"If-Match": STALE})
    assert stale.status_code == 412
    assert stale.json() == PRECONDITION_FAILED
    etag = (await client.get(path, headers=users.admin.headers)).headers["ETag"]
    weak = await client.put(path, json=body, headers=users.admin.headers | {"If-Match": f"W/{etag}"})
    assert weak.status_code == 412  # If-Match compares strongly
    updated = await client.put(path, json=body, headers=users.admin.headers | {"If-Match": etag})
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == (await client.get(path, headers=users.admin.headers)).headers["ETag"]
    star = await client.put(path, json=body, headers=users.admin.headers | {"If-Match": "*"})
    assert star.status_code == 200


@over(lambda r: r.needs_if_match and r.delete)
async def test_delete_with_a_stale_etag_is_412_then_star_passes(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    row = await make_row(maker, resource.path, 1)
    path = f"{resource.path}{row['id']}"
    stale = await client.delete(path, headers=users.admin.headers | {"If-Match": STALE})
    assert stale.status_code == 412
    assert stale.json() == PRECONDITION_FAILED
    deleted = await client.delete(path, headers=users.admin.headers | {"If-Match": "*"})
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert "ETag" not in deleted.headers


@over(lambda r: not r.etag)
async def test_association_resources_have_no_etag_and_need_no_if_match(client, users: Users, resource, maker):
    need_factory(resource)
    row = await make_row(maker, resource.path, 1)
    path = f"{resource.path}{row['id']}"
    if resource.list:
        listed = await client.get(resource.path, headers=users.admin.headers | {"If-None-Match": "*"})
        assert listed.status_code == 200
        assert "ETag" not in listed.headers
    if resource.get:
        item = await client.get(path, headers=users.admin.headers)
        assert item.status_code == 200
        assert "ETag" not in item.headers
    if resource.delete:
        deleted = await client.delete(path, headers=users.admin.headers)
        assert deleted.status_code == 204
        assert "ETag" not in deleted.headers


@over(lambda r: r.etag and not r.needs_if_match)
async def test_writes_without_if_match_where_declared(client, users: Users, resource, maker: Maker):
    """Resources with ETags whose PUT and DELETE take no If-Match (as /notifications/)."""
    need_factory(resource)
    row = await make_row(maker, resource.path, 1)
    path = f"{resource.path}{row['id']}"
    if resource.update is not None:
        body = update_body(resource, await valid_body(maker, resource.path, 2), row)
        assert (await client.put(path, json=body, headers=users.admin.headers)).status_code == 200
    if resource.delete:
        assert (await client.delete(path, headers=users.admin.headers)).status_code == 204
