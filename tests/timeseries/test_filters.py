"""GET /timeseries/ filters: columns, campaign and scope, user, locations (direct and recursive),
events, property values; their validation and the 403 on objects the caller cannot read."""

from __future__ import annotations

import json

import pytest

from tests.helpers import create, link_user_to_campaign
from tests.timeseries.conftest import add_elements, link_user_to_scope, new_timeseries

LOCATED = ("site", "building", "storey", "space", "zone")


@pytest.fixture
async def located(client, admin, campaign, scope, other_scope, tree) -> dict:
    """A timeseries linked to each element of the tree, one without location, one in another scope,
    and a timeseries of another campaign linked to that campaign's site."""
    made = {"tree": tree}
    for element in LOCATED:
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], f"TS {element}")
        await create(
            client,
            f"/timeseries_by_{element}s/",
            admin.headers,
            timeseries_id=ts["id"],
            **{f"{element}_id": tree[element]["id"]},
        )
        made[element] = ts
    made["nowhere"] = await new_timeseries(
        client, admin.headers, campaign["id"], scope["id"], "Nowhere %_", unit_symbol="kWh"
    )
    made["other scope"] = await new_timeseries(
        client, admin.headers, campaign["id"], other_scope["id"], "In other scope", unit_symbol="kWh"
    )
    other = await create(client, "/campaigns/", admin.headers, name="Other campaign", timezone="UTC")
    other_campaign_scope = await create(
        client, "/campaign_scopes/", admin.headers, name="Scope", campaign_id=other["id"]
    )
    other_tree = await add_elements(client, admin.headers, other["id"], " elsewhere")
    elsewhere = await new_timeseries(
        client, admin.headers, other["id"], other_campaign_scope["id"], "TS site"
    )
    await create(
        client,
        "/timeseries_by_sites/",
        admin.headers,
        timeseries_id=elsewhere["id"],
        site_id=other_tree["site"]["id"],
    )
    made.update(elsewhere=elsewhere, other_campaign=other, other_campaign_scope=other_campaign_scope)
    return made


async def names(client, headers, **params) -> list[str]:
    response = await client.get("/timeseries/", params={"page_size": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()]


class TestColumnFilters:
    async def test_name_is_exact(self, client, admin, located):
        assert await names(client, admin.headers, name="TS site") == ["TS site", "TS site"]
        assert await names(client, admin.headers, name="TS") == []

    async def test_in_name_is_a_case_insensitive_substring_with_literal_wildcards(
        self, client, admin, located
    ):
        assert await names(client, admin.headers, in_name="ts s") == [
            "TS site",
            "TS storey",
            "TS space",
            "TS site",
        ]
        assert await names(client, admin.headers, in_name="%_") == ["Nowhere %_"]
        assert await names(client, admin.headers, in_name="_") == ["Nowhere %_"]

    async def test_unit_symbol(self, client, admin, located):
        assert await names(client, admin.headers, unit_symbol="kWh") == ["Nowhere %_", "In other scope"]

    async def test_campaign_and_scope(self, client, admin, located, other_scope):
        assert await names(client, admin.headers, campaign_id=located["other_campaign"]["id"]) == ["TS site"]
        assert await names(client, admin.headers, campaign_scope_id=other_scope["id"]) == ["In other scope"]
        assert await names(client, admin.headers, campaign_id=999) == []

    async def test_the_total_counts_the_filtered_rows(self, client, admin, located):
        response = await client.get(
            "/timeseries/", params={"in_name": "TS", "page_size": 2}, headers=admin.headers
        )
        assert json.loads(response.headers["X-Pagination"])["total"] == 6


class TestLocationFilters:
    @pytest.mark.parametrize("element", LOCATED)
    async def test_element_id_gives_the_timeseries_linked_to_that_element(
        self, client, admin, located, element
    ):
        found = await names(client, admin.headers, **{f"{element}_id": located["tree"][element]["id"]})
        assert found == [f"TS {element}"]

    @pytest.mark.parametrize(
        ("element", "expected"),
        [
            ("site", ["TS site", "TS building", "TS storey", "TS space"]),
            ("building", ["TS building", "TS storey", "TS space"]),
            ("storey", ["TS storey", "TS space"]),
        ],
    )
    async def test_recurse_id_adds_the_timeseries_of_every_element_below(
        self, client, admin, located, element, expected
    ):
        found = await names(
            client, admin.headers, **{f"recurse_{element}_id": located["tree"][element]["id"]}
        )
        assert found == expected

    async def test_a_timeseries_linked_at_several_levels_is_listed_once(self, client, admin, located):
        ts = located["space"]
        await create(
            client,
            "/timeseries_by_sites/",
            admin.headers,
            timeseries_id=ts["id"],
            site_id=located["tree"]["site"]["id"],
        )
        site_id = located["tree"]["site"]["id"]
        assert await names(client, admin.headers, recurse_site_id=site_id) == [
            "TS site",
            "TS building",
            "TS storey",
            "TS space",
        ]

    @pytest.mark.parametrize("element", ("site", "building", "storey"))
    async def test_an_element_id_and_its_recursive_form_are_mutually_exclusive(self, client, admin, element):
        params = {f"{element}_id": 1, f"recurse_{element}_id": 1}
        response = await client.get("/timeseries/", params=params, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {"_schema": [f"{element}_id and recurse_{element}_id are mutually exclusive arguments"]}
        }

    async def test_recursive_forms_of_different_elements_combine(self, client, admin, located):
        tree = located["tree"]
        found = await names(
            client, admin.headers, recurse_site_id=tree["site"]["id"], recurse_storey_id=tree["storey"]["id"]
        )
        assert found == ["TS storey", "TS space"]

    async def test_an_unknown_element_gives_an_empty_list(self, client, admin, located):
        assert await names(client, admin.headers, recurse_site_id=999) == []
        assert await names(client, admin.headers, zone_id=999) == []

    async def test_event_id_gives_the_timeseries_linked_to_the_event(self, client, admin, scope, located):
        event = await create(
            client,
            "/events/",
            admin.headers,
            timestamp="2020-01-01T00:00:00+00:00",
            level="INFO",
            campaign_scope_id=scope["id"],
            category_id=1,
            source="test",
        )
        assert await names(client, admin.headers, event_id=event["id"]) == []
        for element in ("site", "space"):
            await create(
                client,
                "/timeseries_by_events/",
                admin.headers,
                timeseries_id=located[element]["id"],
                event_id=event["id"],
            )
        assert await names(client, admin.headers, event_id=event["id"]) == ["TS site", "TS space"]
        assert await names(client, admin.headers, event_id=event["id"] + 1) == []
        response = await client.get("/timeseries/", params={"event_id": "x"}, headers=admin.headers)
        assert response.json()["errors"] == {"query": {"event_id": ["Not a valid integer."]}}


class TestUserFilter:
    async def test_user_id_gives_the_timeseries_of_the_scopes_of_the_users_groups(
        self, client, admin, user, located, scope, other_scope
    ):
        assert await names(client, admin.headers, user_id=user.id) == []
        await link_user_to_scope(client, admin.headers, user.id, other_scope["id"])
        assert await names(client, admin.headers, user_id=user.id) == ["In other scope"]
        assert await names(client, user.headers, user_id=user.id) == ["In other scope"]

    async def test_campaign_membership_alone_gives_no_timeseries(
        self, client, admin, user, located, campaign
    ):
        await link_user_to_campaign(client, admin.headers, user.id, campaign["id"])
        assert await names(client, admin.headers, user_id=user.id) == []

    async def test_a_user_may_not_filter_on_another_user(self, client, admin, user, located):
        response = await client.get("/timeseries/", params={"user_id": admin.id}, headers=user.headers)
        assert response.status_code == 403


class TestPropertiesFilter:
    @pytest.fixture
    async def valued(self, client, admin, located) -> dict:
        brand = await create(client, "/timeseries_properties/", admin.headers, name="Brand")
        for key, props in (
            ("site", {1: "0", 2: "60"}),
            ("zone", {1: "0", 2: "40"}),
            ("space", {brand["id"]: 'Acme, "X"'}),
        ):
            for property_id, value in props.items():
                await create(
                    client,
                    "/timeseries_property_data/",
                    admin.headers,
                    timeseries_id=located[key]["id"],
                    property_id=property_id,
                    value=value,
                )
        return located

    async def test_each_pair_must_match_a_stored_value_exactly(self, client, admin, valued):
        assert await names(client, admin.headers, properties='{"Min": "0"}') == ["TS site", "TS zone"]
        assert await names(client, admin.headers, properties='{"Min": "0", "Max": "40"}') == ["TS zone"]
        assert await names(client, admin.headers, properties='{"Min": "0.0"}') == []
        assert await names(client, admin.headers, properties='{"Brand": "Acme, \\"X\\""}') == ["TS space"]
        assert await names(client, admin.headers, properties='{"Unknown": "0"}') == []

    async def test_an_empty_object_filters_nothing(self, client, admin, valued):
        assert len(await names(client, admin.headers, properties="{}")) == 8

    async def test_it_combines_with_the_other_filters(self, client, admin, valued):
        site_id = valued["tree"]["site"]["id"]
        assert await names(client, admin.headers, properties='{"Min": "0"}', recurse_site_id=site_id) == [
            "TS site"
        ]

    @pytest.mark.parametrize(
        ("value", "error"),
        [
            ("{", ["Not a valid json string."]),
            ("Min=0", ["Not a valid json string."]),
            ("[1, 2]", ["Not a valid json object."]),
            ('"Min"', ["Not a valid json object."]),
            ("3", ["Not a valid json object."]),
            ('{"Min": 0, "Max": null}', {"Min": ["Not a valid string."], "Max": ["Field may not be null."]}),
            ('{"Min": ["0"]}', {"Min": ["Not a valid string."]}),
        ],
    )
    async def test_invalid_values_are_422(self, client, admin, value, error):
        response = await client.get("/timeseries/", params={"properties": value}, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {"query": {"properties": error}}


class TestFiltersOnUnreadableObjects:
    """Filtering on an object the caller cannot read is 403, as in the reference; unknown ids list nothing."""

    @pytest.fixture
    async def member(self, client, admin, user, located, scope, campaign):
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        await link_user_to_campaign(client, admin.headers, user.id, campaign["id"])
        return user

    async def test_objects_of_the_users_campaign_and_scope_can_be_filtered_on(
        self, client, member, located, campaign, scope
    ):
        site_id = located["tree"]["site"]["id"]
        assert await names(client, member.headers, recurse_site_id=site_id) == [
            "TS site",
            "TS building",
            "TS storey",
            "TS space",
        ]
        assert len(await names(client, member.headers, campaign_id=campaign["id"])) == 6
        assert len(await names(client, member.headers, campaign_scope_id=scope["id"])) == 6

    async def test_the_other_scope_of_the_same_campaign_is_403(self, client, member, other_scope):
        response = await client.get(
            "/timeseries/", params={"campaign_scope_id": other_scope["id"]}, headers=member.headers
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "param",
        [
            "campaign_id",
            "site_id",
            "recurse_site_id",
            "building_id",
            "recurse_building_id",
            "storey_id",
            "recurse_storey_id",
            "space_id",
            "zone_id",
        ],
    )
    async def test_objects_of_another_campaign_are_403(self, client, admin, member, located, param):
        other_tree = await add_elements(client, admin.headers, located["other_campaign"]["id"], " more")
        element = param.removeprefix("recurse_").removesuffix("_id")
        value = located["other_campaign"]["id"] if element == "campaign" else other_tree[element]["id"]
        response = await client.get("/timeseries/", params={param: value}, headers=member.headers)
        assert response.status_code == 403
        assert response.json() == {"code": 403, "status": "Forbidden", "message": "Authorization error"}

    async def test_unknown_objects_give_an_empty_list(self, client, member):
        assert await names(client, member.headers, site_id=999, campaign_scope_id=999) == []
