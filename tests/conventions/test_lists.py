"""Lists: order, sort validation, null fields, unknown arguments, consistency with item reads."""

from tests.conftest import Users
from tests.conventions.resources import need_factory, over
from tests.factories import Maker, make_row


def sort_choices(fields: tuple[str, ...]) -> str:
    return ", ".join(f"{name}, +{name}, -{name}" for name in fields)


def without_nulls(value) -> bool:
    if isinstance(value, dict):
        return all(item is not None and without_nulls(item) for item in value.values())
    if isinstance(value, list):
        return all(without_nulls(item) for item in value)
    return True


async def three_rows(maker: Maker, path: str) -> list[dict]:
    return [await make_row(maker, path, n) for n in range(3)]


async def all_items(client, users: Users, path: str, paginated: bool) -> list[dict]:
    params = {"page_size": 100} if paginated else {}
    response = await client.get(path, params=params, headers=users.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


@over(lambda r: r.list)
async def test_list_is_ordered_by_id_and_has_no_nulls(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    await three_rows(maker, resource.path)
    items = await all_items(client, users, resource.path, resource.paginate)
    assert len(items) >= 3
    ids = [item["id"] for item in items]
    assert ids == sorted(ids)
    assert without_nulls(items)


@over(lambda r: r.list and r.get)
async def test_list_items_equal_item_reads_and_follow_the_schema_order(client, users: Users, resource, maker):
    need_factory(resource)
    made = await three_rows(maker, resource.path)
    listed = {item["id"]: item for item in await all_items(client, users, resource.path, resource.paginate)}
    order = list(resource.read.model_fields)
    for row in made:
        item = (await client.get(f"{resource.path}{row['id']}", headers=users.admin.headers)).json()
        assert item == listed[row["id"]] == row
        declared = [key for key in item if key in order]
        assert declared == sorted(declared, key=order.index)


@over(lambda r: r.list)
async def test_unknown_query_arguments_are_ignored(client, users: Users, resource):
    plain = await client.get(resource.path, headers=users.admin.headers)
    extra = await client.get(
        resource.path, params={"not_an_argument": "1", "x": ""}, headers=users.admin.headers
    )
    assert extra.status_code == 200
    assert extra.json() == plain.json()


@over(lambda r: r.list and bool(r.sort))
async def test_unknown_sort_field_is_422(client, users: Users, resource):
    response = await client.get(resource.path, params={"sort": "not_a_field"}, headers=users.admin.headers)
    assert response.status_code == 422
    assert response.json() == {
        "code": 422,
        "status": "Unprocessable Entity",
        "errors": {"query": {"sort": {"0": [f"Must be one of: {sort_choices(resource.sort)}."]}}},
    }


@over(lambda r: r.list and bool(r.sort))
async def test_the_position_of_a_bad_sort_field_is_named(client, users: Users, resource):
    sort = f"{resource.sort[0]},-nope"
    response = await client.get(resource.path, params={"sort": sort}, headers=users.admin.headers)
    assert response.status_code == 422
    assert list(response.json()["errors"]["query"]["sort"]) == ["1"]


@over(lambda r: r.list and bool(r.sort))
async def test_every_declared_sort_field_sorts_both_ways(client, users: Users, resource, maker: Maker):
    need_factory(resource)
    await three_rows(maker, resource.path)
    params = {"page_size": 100} if resource.paginate else {}
    for name in resource.sort:
        orders = {}
        for prefix in ("", "+", "-"):
            response = await client.get(
                resource.path, params=params | {"sort": f"{prefix}{name}"}, headers=users.admin.headers
            )
            assert response.status_code == 200, (name, response.text)
            orders[prefix] = [item.get(name) for item in response.json()]
        assert orders[""] == orders["+"]
        assert orders["+"] == orders["-"][::-1], name
        numbers = [value for value in orders["+"] if isinstance(value, (int, float))]
        assert numbers == sorted(numbers), name
