"""/event_categories/, /event_categories_by_users/, /events/ and its filters, and the event links."""

from __future__ import annotations

import pytest

from tests.events.conftest import new_event
from tests.helpers import create
from tests.timeseries.conftest import link_user_to_scope, new_timeseries

SEEDED = ["Data missing", "Data present", "Data outliers", "No data outliers"]


async def listed(client, headers, path: str = "/events/", **params) -> list[dict]:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestCategories:
    async def test_the_four_seeded_categories_in_order(self, client, admin, user):
        for who in (admin, user):
            found = await listed(client, who.headers, "/event_categories/")
            assert [(row["id"], row["name"]) for row in found] == list(enumerate(SEEDED, start=1))
            assert all("description" not in row for row in found)

    @pytest.mark.parametrize("item", ["x", "1.5", "-", "%20", "1x", "99999999999999999999999"])
    async def test_an_id_that_is_not_a_stored_integer_is_404(self, client, admin, item):
        for path in ("/event_categories/", "/notifications/"):
            for method in ("GET", "PUT", "DELETE"):
                response = await client.request(
                    method, f"{path}{item}", json={"read": True}, headers=admin.headers | {"If-Match": "*"}
                )
                assert response.status_code == 404, (method, path, item, response.text)

    async def test_only_admins_write_categories(self, client, user):
        response = await client.post("/event_categories/", json={"name": "Mine"}, headers=user.headers)
        assert response.status_code == 403


class TestPreferences:
    async def test_fields_in_order_and_own_rows_only(self, client, admin, user):
        mine = await create(
            client,
            "/event_categories_by_users/",
            user.headers,
            notification_level="DEBUG",
            user_id=user.id,
            category_id=2,
        )
        assert list(mine) == ["id", "notification_level", "user_id", "category_id"]
        theirs = {"notification_level": "INFO", "user_id": admin.id, "category_id": 2}
        response = await client.post("/event_categories_by_users/", json=theirs, headers=user.headers)
        assert response.status_code == 403
        await create(client, "/event_categories_by_users/", admin.headers, **theirs)
        assert [row["id"] for row in await listed(client, user.headers, "/event_categories_by_users/")] == [
            mine["id"]
        ]
        assert len(await listed(client, admin.headers, "/event_categories_by_users/", category_id=2)) == 2

    async def test_a_level_is_required_and_must_be_a_level(self, client, user):
        body = {"user_id": user.id, "category_id": 1}
        response = await client.post("/event_categories_by_users/", json=body, headers=user.headers)
        assert response.json()["errors"]["json"] == {
            "notification_level": ["Missing data for required field."]
        }
        body["notification_level"] = "LOUD"
        response = await client.post("/event_categories_by_users/", json=body, headers=user.headers)
        assert response.status_code == 422

    async def test_one_row_per_user_and_category(self, client, user):
        body = {"notification_level": "INFO", "user_id": user.id, "category_id": 1}
        await create(client, "/event_categories_by_users/", user.headers, **body)
        response = await client.post("/event_categories_by_users/", json=body, headers=user.headers)
        assert response.status_code == 409


class TestEvents:
    async def test_fields_in_order(self, client, admin, scope):
        event = await new_event(client, admin.headers, scope["id"], description="Boiler down")
        assert list(event) == [
            "id",
            "timestamp",
            "level",
            "campaign_scope_id",
            "category_id",
            "source",
            "description",
        ]
        assert event["timestamp"] == "2020-01-01T00:00:00+00:00"

    async def test_put_keeps_scope_and_timestamp(self, client, admin, scope):
        event = await new_event(client, admin.headers, scope["id"])
        etag = (await client.get(f"/events/{event['id']}", headers=admin.headers)).headers["ETag"]
        body = {"level": "ERROR", "category_id": 2, "source": "other", "description": "d"}
        response = await client.put(
            f"/events/{event['id']}", json=body, headers=admin.headers | {"If-Match": etag}
        )
        assert response.status_code == 200, response.text
        assert response.json() == event | body
        for extra in ({"campaign_scope_id": scope["id"]}, {"timestamp": event["timestamp"]}):
            response = await client.put(
                f"/events/{event['id']}", json=body | extra, headers=admin.headers | {"If-Match": "*"}
            )
            assert response.status_code == 422

    async def test_required_fields_are_422(self, client, admin, scope):
        response = await client.post("/events/", json={}, headers=admin.headers)
        assert set(response.json()["errors"]["json"]) == {
            "timestamp",
            "level",
            "campaign_scope_id",
            "category_id",
            "source",
        }

    async def test_an_unknown_category_or_scope_is_409(self, client, admin, scope):
        for fields in ({"category_id": 99}, {"campaign_scope_id": 999}):
            body = {
                "timestamp": "2020-01-01T00:00:00+00:00",
                "level": "INFO",
                "campaign_scope_id": scope["id"],
                "category_id": 1,
                "source": "s",
            }
            response = await client.post("/events/", json=body | fields, headers=admin.headers)
            assert response.status_code == 409

    async def test_scope_members_only(self, client, admin, user, scope, other_scope):
        mine = await new_event(client, admin.headers, scope["id"], source="mine")
        theirs = await new_event(client, admin.headers, other_scope["id"], source="theirs")
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        assert [row["id"] for row in await listed(client, user.headers)] == [mine["id"]]
        assert (await client.get(f"/events/{theirs['id']}", headers=user.headers)).status_code == 403
        await new_event(client, user.headers, scope["id"])
        body = {
            "timestamp": "2020-01-01T00:00:00+00:00",
            "level": "INFO",
            "campaign_scope_id": other_scope["id"],
            "category_id": 1,
            "source": "s",
        }
        assert (await client.post("/events/", json=body, headers=user.headers)).status_code == 403
        response = await client.delete(f"/events/{mine['id']}", headers=user.headers | {"If-Match": "*"})
        assert response.status_code == 204


@pytest.fixture
async def events(client, admin, campaign, scope, other_scope, foreign_scope) -> dict[str, dict]:
    """Events of each level, an hour apart, in `scope`; one in the other scope and one in another
    campaign."""
    made = {}
    for hour, level in enumerate(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]):
        made[level] = await new_event(
            client,
            admin.headers,
            scope["id"],
            level=level,
            timestamp=f"2020-01-01T0{hour}:00:00+00:00",
            source=f"Check {level.lower()}",
            category_id=1 + hour % 2,
        )
    made["other scope"] = await new_event(client, admin.headers, other_scope["id"], source="elsewhere")
    made["foreign"] = await new_event(client, admin.headers, foreign_scope["id"], source="far")
    return made


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


class TestFilters:
    async def test_levels_are_ordered(self, client, admin, events):
        found = await listed(client, admin.headers, level_min="WARNING", campaign_scope_id=1)
        assert [row["level"] for row in found] == ["WARNING", "ERROR", "CRITICAL"]
        found = await listed(client, admin.headers, sort="-level,timestamp", page_size=3)
        assert [row["level"] for row in found] == ["CRITICAL", "ERROR", "WARNING"]
        found = await listed(client, admin.headers, level="INFO")
        assert ids(found) == [events["INFO"]["id"], events["other scope"]["id"], events["foreign"]["id"]]

    async def test_timestamp_range_campaign_and_level_together(self, client, admin, campaign, events):
        found = await listed(
            client,
            admin.headers,
            campaign_id=campaign["id"],
            level_min="INFO",
            timestamp_min="2020-01-01T01:00:00+00:00",
            timestamp_max="2020-01-01T03:00:00+00:00",
        )
        assert ids(found) == [events[level]["id"] for level in ("INFO", "WARNING", "ERROR")]

    async def test_campaign_scope_source_and_category(self, client, admin, campaign, scope, events):
        assert len(await listed(client, admin.headers, campaign_id=campaign["id"], page_size=100)) == 6
        assert len(await listed(client, admin.headers, campaign_scope_id=scope["id"])) == 5
        assert ids(await listed(client, admin.headers, source="far")) == [events["foreign"]["id"]]
        assert ids(await listed(client, admin.headers, in_source="CHECK ERR")) == [events["ERROR"]["id"]]
        assert len(await listed(client, admin.headers, category_id=2)) == 2

    async def test_user_id(self, client, admin, user, scope, events):
        assert await listed(client, admin.headers, user_id=user.id) == []
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        assert len(await listed(client, admin.headers, user_id=user.id)) == 5

    async def test_timeseries_id(self, client, admin, campaign, scope, events):
        series = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        for level in ("INFO", "ERROR"):
            await create(
                client,
                "/timeseries_by_events/",
                admin.headers,
                timeseries_id=series["id"],
                event_id=events[level]["id"],
            )
        found = await listed(client, admin.headers, timeseries_id=series["id"])
        assert ids(found) == [events["INFO"]["id"], events["ERROR"]["id"]]

    async def test_locations_direct_and_recursive(self, client, admin, tree, events):
        for element, level in (("site", "INFO"), ("storey", "ERROR"), ("zone", "DEBUG")):
            await create(
                client,
                f"/events_by_{element}s/" if element != "storey" else "/events_by_storeys/",
                admin.headers,
                event_id=events[level]["id"],
                **{f"{element}_id": tree[element]["id"]},
            )
        site, building = tree["site"]["id"], tree["building"]["id"]
        assert ids(await listed(client, admin.headers, site_id=site)) == [events["INFO"]["id"]]
        assert ids(await listed(client, admin.headers, recurse_site_id=site)) == [
            events["INFO"]["id"],
            events["ERROR"]["id"],
        ]
        assert ids(await listed(client, admin.headers, recurse_building_id=building)) == [
            events["ERROR"]["id"]
        ]
        assert ids(await listed(client, admin.headers, zone_id=tree["zone"]["id"])) == [events["DEBUG"]["id"]]

    @pytest.mark.parametrize("element", ["site", "building", "storey"])
    async def test_direct_and_recursive_are_mutually_exclusive(self, client, admin, element):
        response = await client.get(
            "/events/", params={f"{element}_id": 1, f"recurse_{element}_id": 1}, headers=admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "query": {"_schema": [f"{element}_id and recurse_{element}_id are mutually exclusive arguments"]}
        }

    async def test_bad_values_are_422(self, client, admin):
        for params in ({"level_min": "LOUD"}, {"timestamp_min": "yesterday"}, {"sort": "source"}):
            response = await client.get("/events/", params=params, headers=admin.headers)
            assert response.status_code == 422, params

    async def test_filters_on_objects_the_caller_cannot_read_are_403(self, client, admin, user, events):
        for name in ("campaign_id", "campaign_scope_id", "user_id"):
            response = await client.get("/events/", params={name: 1}, headers=user.headers)
            assert response.status_code == 403, name


class TestLinks:
    async def test_timeseries_by_events_nests_both_documents(self, client, admin, campaign, scope):
        event = await new_event(client, admin.headers, scope["id"])
        series = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        link = await create(
            client, "/timeseries_by_events/", admin.headers, timeseries_id=series["id"], event_id=event["id"]
        )
        assert list(link) == ["id", "timeseries", "event", "timeseries_id", "event_id"]
        assert link["timeseries"] == {k: v for k, v in series.items() if k != "id"}
        assert link["event"] == {k: v for k, v in event.items() if k != "id"}

    async def test_timeseries_and_event_of_different_scopes_are_422(
        self, client, admin, campaign, scope, other_scope
    ):
        event = await new_event(client, admin.headers, scope["id"])
        series = await new_timeseries(client, admin.headers, campaign["id"], other_scope["id"], "T")
        body = {"timeseries_id": series["id"], "event_id": event["id"]}
        response = await client.post("/timeseries_by_events/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "json": {"_schema": ["Event and timeseries must be in same campaign scope"]}
        }

    @pytest.mark.parametrize("element", ["site", "building", "storey", "space", "zone"])
    async def test_an_element_of_another_campaign_is_422(self, client, admin, tree, foreign_scope, element):
        event = await new_event(client, admin.headers, foreign_scope["id"])
        plural = "storeys" if element == "storey" else f"{element}s"
        body = {"event_id": event["id"], f"{element}_id": tree[element]["id"]}
        response = await client.post(f"/events_by_{plural}/", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "json": {"_schema": [f"Event and {element} must be in same campaign"]}
        }

    async def test_links_follow_the_event(self, client, admin, user, tree, scope, other_scope):
        mine = await new_event(client, admin.headers, scope["id"])
        theirs = await new_event(client, admin.headers, other_scope["id"])
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        site = tree["site"]["id"]
        await create(client, "/events_by_sites/", user.headers, event_id=mine["id"], site_id=site)
        response = await client.post(
            "/events_by_sites/", json={"event_id": theirs["id"], "site_id": site}, headers=user.headers
        )
        assert response.status_code == 403
        await create(client, "/events_by_sites/", admin.headers, event_id=theirs["id"], site_id=site)
        found = await listed(client, user.headers, "/events_by_sites/")
        assert [row["event_id"] for row in found] == [mine["id"]]
        assert list(found[0]) == ["id", "site", "event_id", "site_id"]
