"""Lists cost a fixed number of SQL statements, whatever the page size and the filters."""

from __future__ import annotations

from tests.helpers import create, sql_statements
from tests.timeseries.conftest import link_user_to_scope, new_timeseries


async def fill(client, admin, campaign, scope, tree, count: int = 30) -> None:
    for n in range(count):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], f"T{n}")
        await create(
            client,
            "/timeseries_by_spaces/",
            admin.headers,
            timeseries_id=ts["id"],
            space_id=tree["space"]["id"],
        )
        await create(
            client,
            "/timeseries_property_data/",
            admin.headers,
            timeseries_id=ts["id"],
            property_id=1,
            value="0",
        )
    # Open the read connection now: its first use runs the driver's set-up statements.
    assert (await client.get("/timeseries/", headers=admin.headers)).status_code == 200


class TestStatementsPerList:
    async def test_a_page_of_timeseries_is_one_statement_after_authentication(
        self, client, admin, campaign, scope, tree
    ):
        await fill(client, admin, campaign, scope, tree)
        for params in (
            {},
            {"page_size": 100},
            {
                "page_size": 100,
                "recurse_site_id": tree["site"]["id"],
                "properties": '{"Min": "0"}',
                "in_name": "T",
            },
            {"page": 9},  # past the end: the count needs its own statement
        ):
            with sql_statements() as seen:
                response = await client.get("/timeseries/", params=params, headers=admin.headers)
            assert response.status_code == 200
            expected = 3 if params.get("page") == 9 else 2  # the caller's row, the page (with its count)
            assert len(seen) == expected, (params, seen)

    async def test_a_scope_member_adds_one_statement_per_object_filtered_on(
        self, client, admin, user, campaign, scope, tree
    ):
        await fill(client, admin, campaign, scope, tree, 12)
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        with sql_statements() as seen:
            response = await client.get("/timeseries/", params={"page_size": 50}, headers=user.headers)
        assert len(response.json()) == 12
        assert len(seen) == 2
        with sql_statements() as seen:
            await client.get("/timeseries/", params={"campaign_scope_id": scope["id"]}, headers=user.headers)
        assert len(seen) == 3

    async def test_a_page_of_links_is_the_page_and_one_statement_for_its_locations(
        self, client, admin, campaign, scope, tree
    ):
        await fill(client, admin, campaign, scope, tree)
        with sql_statements() as seen:
            response = await client.get(
                "/timeseries_by_spaces/", params={"page_size": 100}, headers=admin.headers
            )
        assert len(response.json()) == 30
        assert all(item["space"]["name"] == "Space" for item in response.json())
        assert len(seen) == 3
