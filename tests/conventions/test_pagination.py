"""X-Pagination on the paginated collections, and the page/page_size arguments."""

import json

import pytest

from bemserver.http.pagination import pagination_header
from tests.conftest import Users
from tests.conventions.resources import need_factory, over
from tests.factories import Maker, make_row


class TestHeaderFormat:
    """The exact text clients parse: Python json.dumps spacing, keys in the reference order."""

    def test_first_page(self):
        assert (
            pagination_header(3, 1, 2)
            == '{"total": 3, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, "next_page": 2}'
        )

    def test_last_page(self):
        assert (
            pagination_header(3, 2, 2)
            == '{"total": 3, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 2, "previous_page": 1}'
        )

    def test_middle_page(self):
        assert json.loads(pagination_header(25, 2, 10)) == {
            "total": 25,
            "total_pages": 3,
            "first_page": 1,
            "last_page": 3,
            "page": 2,
            "previous_page": 1,
            "next_page": 3,
        }

    def test_page_past_the_end(self):
        assert pagination_header(3, 5, 2) == '{"total": 3, "total_pages": 2, "first_page": 1, "last_page": 2}'

    def test_empty_collection(self):
        assert pagination_header(0, 1, 10) == '{"total": 0, "total_pages": 0}'


async def rows(maker: Maker, path: str, count: int) -> None:
    for n in range(count):
        await make_row(maker, path, n)


async def total_of(client, users: Users, path: str) -> int:
    response = await client.get(path, params={"page_size": 1}, headers=users.admin.headers)
    return json.loads(response.headers["X-Pagination"])["total"]


@over(lambda r: r.paginate)
async def test_empty_collection_header(client, users: Users, resource):
    response = await client.get(resource.path, headers=users.admin.headers)
    assert response.status_code == 200
    if response.json():
        pytest.skip("this collection has seed rows")
    assert response.headers["X-Pagination"] == '{"total": 0, "total_pages": 0}'


@over(lambda r: r.paginate)
async def test_pages(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    await rows(maker, resource.path, 3)
    total = await total_of(client, users, resource.path)
    pages = (total + 1) // 2
    first = await client.get(resource.path, params={"page_size": 2}, headers=users.admin.headers)
    assert first.headers["X-Pagination"] == pagination_header(total, 1, 2)
    assert json.loads(first.headers["X-Pagination"])["next_page"] == 2
    assert len(first.json()) == 2
    last = await client.get(
        resource.path, params={"page_size": 2, "page": pages}, headers=users.admin.headers
    )
    assert json.loads(last.headers["X-Pagination"])["page"] == pages
    assert "next_page" not in json.loads(last.headers["X-Pagination"])
    ids = [item["id"] for item in first.json()] + [item["id"] for item in last.json()]
    assert ids == sorted(ids)


@over(lambda r: r.paginate)
async def test_page_past_the_end_is_empty(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    await rows(maker, resource.path, 3)
    total = await total_of(client, users, resource.path)
    response = await client.get(
        resource.path, params={"page_size": 2, "page": 99}, headers=users.admin.headers
    )
    assert response.status_code == 200
    assert response.json() == []
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": total,
        "total_pages": (total + 1) // 2,
        "first_page": 1,
        "last_page": (total + 1) // 2,
    }


@over(lambda r: r.paginate)
async def test_default_page_size_is_10(client, users: Users, resource):
    response = await client.get(resource.path, headers=users.admin.headers)
    meta = json.loads(response.headers["X-Pagination"])
    assert meta["total_pages"] == (meta["total"] + 9) // 10


@over(lambda r: r.paginate and r.etag)
async def test_pagination_is_part_of_the_etag(client, users: Users, resource, maker: Maker):
    response = await client.get(resource.path, headers=users.admin.headers)
    again = await client.get(
        resource.path, headers=users.admin.headers | {"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["X-Pagination"] == response.headers["X-Pagination"]


@over(lambda r: r.paginate)
@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"page": 0}, {"page": ["Must be greater than or equal to 1."]}),
        ({"page_size": 0}, {"page_size": ["Must be greater than or equal to 1."]}),
        ({"page_size": 101}, {"page_size": ["Must be less than or equal to 100."]}),
        ({"page": "x"}, {"page": ["Not a valid integer."]}),
        ({"page_size": "1.5"}, {"page_size": ["Not a valid integer."]}),
    ],
)
async def test_bad_page_arguments_are_422(client, users: Users, resource, params, errors):
    response = await client.get(resource.path, params=params, headers=users.admin.headers)
    assert response.status_code == 422
    assert response.json() == {"code": 422, "status": "Unprocessable Entity", "errors": {"query": errors}}


@over(lambda r: not r.paginate and r.list)
async def test_unpaginated_collections_ignore_page_arguments(client, users: Users, resource):
    response = await client.get(
        resource.path, params={"page": 0, "page_size": 1000}, headers=users.admin.headers
    )
    assert response.status_code == 200
    assert "X-Pagination" not in response.headers
