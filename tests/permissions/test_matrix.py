"""The permission matrix of the campaign, building-model, energy, weather and task-schedule resources,
derived from the rules.

For each resource, each role and each operation the resource declares, the expected status comes
from the audience tag of the resource's rule in bemserver.permissions (not from a table typed here),
and is compared with what the API answers. A second test pins the rule table to the reference's.
"""

from __future__ import annotations

import pytest

from bemserver import permissions
from bemserver.campaigns.resources import RESOURCES as CAMPAIGN_RESOURCES
from bemserver.crud import Resource
from bemserver.energy.resources import RESOURCES as ENERGY_RESOURCES
from bemserver.structure.resources import RESOURCES as STRUCTURE_RESOURCES
from bemserver.tasks.resources import TASKS_BY_CAMPAIGNS
from bemserver.weather.resources import RESOURCES as WEATHER_RESOURCES
from tests.conventions.resources import update_body
from tests.factories import Row, make_row, valid_body
from tests.permissions.world import ROLES, World, make_world

RESOURCES = (
    *CAMPAIGN_RESOURCES,
    *STRUCTURE_RESOURCES,
    *ENERGY_RESOURCES,
    *WEATHER_RESOURCES,
    TASKS_BY_CAMPAIGNS,
)
SUCCESS = {"list": "200 listed", "read": "200", "create": "201", "update": "200", "delete": "204"}


def operations_of(resource: Resource) -> list[str]:
    declared = {
        "list": resource.list,
        "read": resource.get,
        "update": resource.update is not None,
        "create": resource.create is not None,
        "delete": resource.delete,
    }
    return [operation for operation, on in declared.items() if on]


def expected_status(world: World, resource: Resource, role: str, operation: str, row: Row) -> str:
    if role == "inactive":
        return "403"
    if role == "admin":
        return SUCCESS[operation]

    def allowed(op: str) -> bool:
        return world.lets_through(permissions.audience_of(resource.model, op), role, row)

    if operation == "list":
        return "200 listed" if allowed("read") else "200 hidden"
    if operation == "create":
        return "201" if allowed("create") else "403"
    # Reads, updates and deletes of an item one cannot read are refused before anything else.
    if not allowed("read"):
        return "403"
    return SUCCESS[operation] if operation == "read" or allowed(operation) else "403"


async def actual_status(
    world: World, resource: Resource, role: str, operation: str, row: Row, n: int, update: Row | None
) -> str:
    client, headers = world.maker.client, world.roles[role].headers
    item = f"{resource.path}{row['id']}"
    if_match = {"If-Match": "*"} if resource.etag else {}
    if operation == "list":
        response = await client.get(resource.path, headers=headers)
        if response.status_code == 200:
            listed = row["id"] in [found["id"] for found in response.json()]
            return "200 listed" if listed else "200 hidden"
    elif operation == "read":
        response = await client.get(item, headers=headers)
    elif operation == "create":
        body = await valid_body(world.maker, resource.path, n)
        response = await client.post(resource.path, json=body, headers=headers)
    elif operation == "update":
        response = await client.put(item, json=update, headers=headers | if_match)
    else:
        response = await client.delete(item, headers=headers | if_match)
    return str(response.status_code)


@pytest.mark.parametrize("resource", RESOURCES, ids=[resource.path for resource in RESOURCES])
async def test_each_role_gets_what_the_rules_declare(client, users, engine, resource: Resource):
    world = await make_world(client, users, engine)
    row = world.rows.get(resource.path) or await make_row(world.maker, resource.path, 1)
    update = None
    if resource.update is not None:
        update = update_body(resource, await valid_body(world.maker, resource.path, 50), row)
    expected, actual = {}, {}
    # Non-admins first (they change nothing when the rules hold), the admin's delete last.
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


def test_the_matrix_covers_every_resource_it_is_declared_for():
    paths = {resource.path for resource in RESOURCES}
    elements = ("site", "building", "storey", "space", "zone")
    assert paths == {
        "/campaigns/",
        "/campaign_scopes/",
        "/user_groups_by_campaigns/",
        "/user_groups_by_campaign_scopes/",
        "/sites/",
        "/buildings/",
        "/storeys/",
        "/spaces/",
        "/zones/",
        "/structural_element_properties/",
        *(f"/{element}_properties/" for element in elements),
        *(f"/{element}_property_data/" for element in elements),
        "/energies/",
        "/energy_end_uses/",
        "/energy_production_technologies/",
        *(
            f"/energy_{direction}_timeseries_by_{plural}/"
            for direction in ("consumption", "production")
            for plural in ("sites", "buildings")
        ),
        "/weather_timeseries_by_sites/",
        "/tasks_by_campaigns/",
    }


# The reference's rule table (bemserver-core §2.3) for these resources: who reads; writes are admin-only.
READ_AUDIENCE = {
    "/campaigns/": "campaign",
    "/campaign_scopes/": "scope",
    "/user_groups_by_campaigns/": "groups",
    "/user_groups_by_campaign_scopes/": "groups",
    "/structural_element_properties/": "everyone",
    "/energies/": "everyone",
    "/energy_end_uses/": "everyone",
    "/energy_production_technologies/": "everyone",
    "/weather_timeseries_by_sites/": "scope",  # readable with its timeseries
    "/tasks_by_campaigns/": "campaign",
}


def reference_read_audience(path: str) -> str:
    if path in READ_AUDIENCE:
        return READ_AUDIENCE[path]
    if path.endswith("_properties/"):
        return "everyone"
    if path.startswith("/energy_"):
        return "scope"  # the links: those who may read the timeseries
    return "campaign"  # the elements and their property values


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
