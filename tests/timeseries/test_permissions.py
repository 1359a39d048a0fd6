"""The permission matrix of the timeseries metadata resources, derived from the rules.

Same method as tests/permissions/test_matrix.py: for each role (admin, campaign member, scope-only
member, non-member, inactive) and each operation, the status expected from the rule's audience is
compared with the API's. Timeseries are read by members of their campaign scope, not by members of
their campaign alone; their property values and location links follow the timeseries.
"""

from __future__ import annotations

import pytest

from bemserver import permissions
from bemserver.crud import Resource
from bemserver.timeseries.links import RESOURCES as LINK_RESOURCES
from bemserver.timeseries.resources import RESOURCES as METADATA_RESOURCES
from tests.conventions.resources import update_body
from tests.factories import make_row, valid_body
from tests.permissions.test_matrix import actual_status, expected_status, operations_of
from tests.permissions.world import ROLES, make_world

RESOURCES = METADATA_RESOURCES + LINK_RESOURCES


@pytest.mark.parametrize("resource", RESOURCES, ids=[resource.path for resource in RESOURCES])
async def test_each_role_gets_what_the_rules_declare(client, users, engine, resource: Resource):
    world = await make_world(client, users, engine)
    row = await make_row(world.maker, resource.path, 1)
    update = None
    if resource.update is not None:
        update = update_body(resource, await valid_body(world.maker, resource.path, 50), row)
    expected, actual = {}, {}
    for number, role in enumerate((*ROLES[1:], ROLES[0])):
        for operation in operations_of(resource):
            expected[role, operation] = expected_status(world, resource, role, operation, row)
            actual[role, operation] = await actual_status(
                world, resource, role, operation, row, 10 + number, update
            )
    wrong = [
        f"{role:>17} {operation:<6} expected {expected[role, operation]:<10} got {actual[role, operation]}"
        for role, operation in expected
        if expected[role, operation] != actual[role, operation]
    ]
    assert not wrong, f"{resource.path}\n" + "\n".join(wrong)


def reference_read_audience(path: str) -> str:
    """bemserver-core §2.3: properties and data states for all; the rest for the timeseries' scope."""
    return "everyone" if path in ("/timeseries_properties/", "/timeseries_data_states/") else "scope"


@pytest.mark.parametrize("resource", RESOURCES, ids=[resource.path for resource in RESOURCES])
def test_the_rules_are_the_references(resource: Resource):
    permissions.declare_rules()
    audiences = {
        op: permissions.audience_of(resource.model, op) for op in ("read", "create", "update", "delete")
    }
    assert audiences == {
        "read": reference_read_audience(resource.path),
        "create": "nobody",
        "update": "nobody",
        "delete": "nobody",
    }


def test_the_matrix_covers_every_timeseries_metadata_resource():
    assert {resource.path for resource in RESOURCES} == {
        "/timeseries_properties/",
        "/timeseries_data_states/",
        "/timeseries/",
        "/timeseries_property_data/",
        *(f"/timeseries_by_{element}/" for element in ("sites", "buildings", "storeys", "spaces", "zones")),
    }


class TestScopeMembership:
    async def test_a_campaign_member_without_the_scope_sees_no_timeseries(self, client, users, engine):
        world = await make_world(client, users, engine)
        row = await make_row(world.maker, "/timeseries/", 1)
        member = world.roles["campaign member"]
        listed = await client.get("/timeseries/", headers=member.headers)
        assert (listed.json(), listed.headers["X-Pagination"]) == ([], '{"total": 0, "total_pages": 0}')
        assert (await client.get(f"/timeseries/{row['id']}", headers=member.headers)).status_code == 403

    async def test_the_count_of_a_scope_member_covers_their_timeseries_only(self, client, users, engine):
        world = await make_world(client, users, engine)
        for n in range(3):
            await make_row(world.maker, "/timeseries/", n)
        other_scope = await world.maker.create("/campaign_scopes/", name="Hidden", campaign_id=1)
        await world.maker.create(
            "/timeseries/", name="Hidden", campaign_id=1, campaign_scope_id=other_scope["id"]
        )
        member = world.roles["scope-only member"]
        listed = await client.get("/timeseries/", params={"page_size": 2}, headers=member.headers)
        assert listed.headers["X-Pagination"].startswith('{"total": 3, "total_pages": 2')
