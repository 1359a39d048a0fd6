"""/energies/ … /energy_production_technologies/ and the four energy timeseries links: seeds, CRUD,
filters, the campaign and id checks, conflicts, permissions and cascades."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import create, etag_of, sql_statements
from tests.timeseries.conftest import link_user_to_scope, new_timeseries

SEEDS = {
    "/energies/": [
        "all",
        "electricity",
        "natural gas",
        "propane gas",
        "heating oil",
        "wood log",
        "wood pellet",
        "wood chips",
        "heating network",
        "cooling network",
    ],
    "/energy_end_uses/": ["all", "heating", "cooling", "ventilation", "lighting", "appliances"],
    "/energy_production_technologies/": ["all", "PV panels", "wind turbines", "solar thermal collectors"],
}

# (path, element, kind field, its unknown-id message)
LINKS = [
    (
        f"/energy_{direction}_timeseries_by_{element}s/",
        element,
        kind,
        message,
    )
    for direction, kind, message in (
        ("consumption", "end_use_id", "Unknown energy end use ID."),
        ("production", "prod_tech_id", "Unknown energy production technology ID."),
    )
    for element in ("site", "building")
]
over_links = pytest.mark.parametrize(
    ("path", "element", "kind", "message"), LINKS, ids=[link[0] for link in LINKS]
)
DIFFERENT_CAMPAIGNS = "The timeseries and the {} belong to different campaigns."


async def new_series(client, admin, campaign, scope, name: str) -> dict[str, Any]:
    return await new_timeseries(
        client,
        admin.headers,
        campaign["id"],
        scope["id"],
        name,
        unit_symbol="kWh",
        description=f"{name} meter",
    )


def link_body(
    element: str, element_id: int, kind: str, timeseries_id: int, energy: int = 2, of_kind: int = 2
):
    return {f"{element}_id": element_id, "energy_id": energy, kind: of_kind, "timeseries_id": timeseries_id}


class TestSeededLists:
    @pytest.mark.parametrize("path", list(SEEDS))
    async def test_everyone_lists_the_references_rows_in_order(self, client, user, path):
        response = await client.get(path, headers=user.headers)
        assert response.status_code == 200
        assert response.json() == [{"id": n, "name": name} for n, name in enumerate(SEEDS[path], start=1)]
        assert "X-Pagination" not in response.headers
        again = await client.get(path, headers=user.headers | {"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304

    @pytest.mark.parametrize("path", list(SEEDS))
    async def test_they_cannot_be_written(self, client, admin, path):
        assert (await client.post(path, json={"name": "x"}, headers=admin.headers)).status_code == 405
        assert (await client.get(f"{path}1", headers=admin.headers)).status_code == 404

    async def test_needs_authentication(self, client):
        assert (await client.get("/energies/")).status_code == 401


class TestLinkDocuments:
    @over_links
    async def test_create_read_update_delete(
        self, client, admin, campaign, scope, tree, path, element, kind, message
    ):
        series = await new_series(client, admin, campaign, scope, "Meter")
        made = await create(
            client, path, admin.headers, **link_body(element, tree[element]["id"], kind, series["id"])
        )
        assert made == {
            "id": made["id"],
            "timeseries": {
                "name": "Meter",
                "unit_symbol": "kWh",
                "description": "Meter meter",
                "campaign_id": campaign["id"],
                "campaign_scope_id": scope["id"],
            },
            f"{element}_id": tree[element]["id"],
            "energy_id": 2,
            kind: 2,
            "timeseries_id": series["id"],
        }
        assert list(made) == ["id", "timeseries", f"{element}_id", "energy_id", kind, "timeseries_id"]
        item = f"{path}{made['id']}"
        read = await client.get(item, headers=admin.headers)
        assert read.json() == made

        # PUT takes the whole document; every field may change.
        other_element = await create(
            client,
            f"/{element}s/",
            admin.headers,
            name=f"Other {element}",
            **({"campaign_id": campaign["id"]} if element == "site" else {"site_id": tree["site"]["id"]}),
        )
        other_series = await new_series(client, admin, campaign, scope, "Other meter")
        body = link_body(element, other_element["id"], kind, other_series["id"], energy=3, of_kind=4)
        assert (await client.put(item, json=body, headers=admin.headers)).status_code == 428
        updated = await client.put(
            item, json=body, headers=admin.headers | {"If-Match": read.headers["ETag"]}
        )
        assert updated.status_code == 200, updated.text
        assert updated.json() == {"id": made["id"], "timeseries": updated.json()["timeseries"], **body}
        assert updated.json()["timeseries"]["name"] == "Other meter"
        partial = {key: value for key, value in body.items() if key != "energy_id"}
        missing = await client.put(item, json=partial, headers=admin.headers | {"If-Match": "*"})
        assert missing.status_code == 422
        assert "energy_id" in missing.json()["errors"]["json"]

        deleted = await client.delete(item, headers=admin.headers | {"If-Match": "*"})
        assert deleted.status_code == 204
        assert (await client.get(item, headers=admin.headers)).status_code == 404

    @over_links
    async def test_filters(self, client, admin, campaign, scope, tree, path, element, kind, message):
        other_element = await create(
            client,
            f"/{element}s/",
            admin.headers,
            name=f"Second {element}",
            **({"campaign_id": campaign["id"]} if element == "site" else {"site_id": tree["site"]["id"]}),
        )
        made = []
        for n, (element_id, energy, of_kind) in enumerate(
            [(tree[element]["id"], 2, 2), (tree[element]["id"], 3, 2), (other_element["id"], 2, 3)]
        ):
            series = await new_series(client, admin, campaign, scope, f"Meter {n}")
            made.append(
                await create(
                    client,
                    path,
                    admin.headers,
                    **link_body(element, element_id, kind, series["id"], energy, of_kind),
                )
            )

        async def ids(**query: Any) -> list[int]:
            response = await client.get(path, params=query, headers=admin.headers)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()]

        first, second, third = (link["id"] for link in made)
        assert await ids() == [first, second, third]
        assert await ids(**{f"{element}_id": tree[element]["id"]}) == [first, second]
        assert await ids(energy_id=2) == [first, third]
        assert await ids(**{kind: 3}) == [third]
        assert await ids(timeseries_id=made[1]["timeseries_id"]) == [second]
        assert await ids(energy_id=2, **{kind: 2}) == [first]
        assert await ids(energy_id=999) == []
        bad = await client.get(path, params={"energy_id": "x"}, headers=admin.headers)
        assert bad.status_code == 422

    async def test_a_list_reads_the_nested_timeseries_in_one_query(
        self, client, admin, campaign, scope, tree
    ):
        path = "/energy_consumption_timeseries_by_sites/"

        async def count_statements() -> int:
            with sql_statements() as seen:
                assert (await client.get(path, headers=admin.headers)).status_code == 200
            return len(seen)

        series = await new_series(client, admin, campaign, scope, "M")
        await create(
            client, path, admin.headers, **link_body("site", tree["site"]["id"], "end_use_id", series["id"])
        )
        one = await count_statements()
        for n in range(3, 7):
            series = await new_series(client, admin, campaign, scope, f"M{n}")
            body = link_body("site", tree["site"]["id"], "end_use_id", series["id"], of_kind=n)
            await create(client, path, admin.headers, **body)
        assert await count_statements() == one


class TestChecks:
    @over_links
    async def test_timeseries_and_element_of_different_campaigns_are_422(
        self, client, admin, campaign, scope, tree, other_campaign, path, element, kind, message
    ):
        other_scope = await create(
            client, "/campaign_scopes/", admin.headers, name="Foreign", campaign_id=other_campaign["id"]
        )
        foreign = await new_series(client, admin, other_campaign, other_scope, "Foreign meter")
        body = link_body(element, tree[element]["id"], kind, foreign["id"])
        response = await client.post(path, json=body, headers=admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {"json": {"_schema": [DIFFERENT_CAMPAIGNS.format(element)]}}

        local = await new_series(client, admin, campaign, scope, "Local meter")
        made = await create(
            client, path, admin.headers, **link_body(element, tree[element]["id"], kind, local["id"])
        )
        moved = await client.put(f"{path}{made['id']}", json=body, headers=admin.headers | {"If-Match": "*"})
        assert moved.status_code == 422
        assert moved.json()["errors"] == {"json": {"_schema": [DIFFERENT_CAMPAIGNS.format(element)]}}

    @over_links
    async def test_unknown_energy_or_kind_is_422_naming_it(
        self, client, admin, campaign, scope, tree, path, element, kind, message
    ):
        series = await new_series(client, admin, campaign, scope, "Meter")
        element_id = tree[element]["id"]
        cases = {
            (99, 2): {"energy_id": ["Unknown energy ID."]},
            (2, 99): {kind: [message]},
            (99, 99): {"energy_id": ["Unknown energy ID."], kind: [message]},
        }
        for (energy, of_kind), errors in cases.items():
            body = link_body(element, element_id, kind, series["id"], energy, of_kind)
            response = await client.post(path, json=body, headers=admin.headers)
            assert response.status_code == 422, response.text
            assert response.json()["errors"] == {"json": errors}
        made = await create(client, path, admin.headers, **link_body(element, element_id, kind, series["id"]))
        body = link_body(element, element_id, kind, series["id"], energy=11)
        response = await client.put(
            f"{path}{made['id']}", json=body, headers=admin.headers | {"If-Match": "*"}
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"json": {"energy_id": ["Unknown energy ID."]}}

    @over_links
    async def test_ids_out_of_range_are_422(
        self, client, admin, campaign, scope, tree, path, element, kind, message
    ):
        series = await new_series(client, admin, campaign, scope, "Meter")
        for field in (f"{element}_id", "energy_id", kind, "timeseries_id"):
            for value in (2**31, -(2**31) - 1, "a", None, 1.5):
                body = link_body(element, tree[element]["id"], kind, series["id"]) | {field: value}
                response = await client.post(path, json=body, headers=admin.headers)
                assert response.status_code == 422, (field, value, response.text)
                assert field in response.json()["errors"]["json"]

    @over_links
    async def test_unknown_timeseries_or_element_is_409(
        self, client, admin, campaign, scope, tree, path, element, kind, message
    ):
        series = await new_series(client, admin, campaign, scope, "Meter")
        for body in (
            link_body(element, tree[element]["id"], kind, 123456),
            link_body(element, 123456, kind, series["id"]),
        ):
            response = await client.post(path, json=body, headers=admin.headers)
            assert response.status_code == 409, response.text

    @over_links
    async def test_one_timeseries_per_element_energy_and_kind(
        self, client, admin, campaign, scope, tree, path, element, kind, message
    ):
        first, second = [await new_series(client, admin, campaign, scope, f"Meter {n}") for n in (1, 2)]
        element_id = tree[element]["id"]
        made = await create(client, path, admin.headers, **link_body(element, element_id, kind, first["id"]))
        twice = await client.post(
            path, json=link_body(element, element_id, kind, second["id"]), headers=admin.headers
        )
        assert twice.status_code == 409
        assert twice.json()["message"] == "Unique constraint violation"
        # The same timeseries may meter several (energy, kind) pairs, as in the reference.
        again = await create(
            client, path, admin.headers, **link_body(element, element_id, kind, first["id"], 3)
        )
        onto = await client.put(
            f"{path}{again['id']}",
            json=link_body(element, element_id, kind, first["id"]),
            headers=admin.headers | {"If-Match": "*"},
        )
        assert onto.status_code == 409
        assert (await client.get(f"{path}{made['id']}", headers=admin.headers)).status_code == 200


class TestPermissions:
    @over_links
    async def test_scope_members_read_the_links_of_their_timeseries_and_write_none(
        self, client, admin, user, campaign, scope, other_scope, tree, path, element, kind, message
    ):
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        mine = await new_series(client, admin, campaign, scope, "Mine")
        theirs = await new_series(client, admin, campaign, other_scope, "Theirs")
        element_id = tree[element]["id"]
        visible = await create(
            client, path, admin.headers, **link_body(element, element_id, kind, mine["id"])
        )
        hidden = await create(
            client, path, admin.headers, **link_body(element, element_id, kind, theirs["id"], 3)
        )

        listed = await client.get(path, headers=user.headers)
        assert [item["id"] for item in listed.json()] == [visible["id"]]
        assert (await client.get(f"{path}{visible['id']}", headers=user.headers)).json() == visible
        assert (await client.get(f"{path}{hidden['id']}", headers=user.headers)).status_code == 403
        assert (
            await client.get(path, params={"timeseries_id": theirs["id"]}, headers=user.headers)
        ).status_code == 403

        body = link_body(element, element_id, kind, mine["id"], 4)
        assert (await client.post(path, json=body, headers=user.headers)).status_code == 403
        etag = await etag_of(client, f"{path}{visible['id']}", user.headers)
        for method in ("PUT", "DELETE"):
            response = await client.request(
                method,
                f"{path}{visible['id']}",
                json=body if method == "PUT" else None,
                headers=user.headers | {"If-Match": etag},
            )
            assert response.status_code == 403, method

    async def test_a_non_member_sees_no_link(self, client, admin, user, campaign, scope, tree):
        path = "/energy_production_timeseries_by_sites/"
        series = await new_series(client, admin, campaign, scope, "PV")
        await create(
            client, path, admin.headers, **link_body("site", tree["site"]["id"], "prod_tech_id", series["id"])
        )
        response = await client.get(path, headers=user.headers)
        assert response.status_code == 200
        assert response.json() == []


class TestCascades:
    @over_links
    async def test_deleting_the_timeseries_or_the_element_deletes_the_links(
        self, client, admin, campaign, scope, tree, path, element, kind, message
    ):
        series = [await new_series(client, admin, campaign, scope, f"Meter {n}") for n in range(2)]
        element_id = tree[element]["id"]
        by_series = await create(
            client, path, admin.headers, **link_body(element, element_id, kind, series[0]["id"])
        )
        other = await create(
            client, path, admin.headers, **link_body(element, element_id, kind, series[1]["id"], 3)
        )
        await client.delete(f"/timeseries/{series[0]['id']}", headers=admin.headers | {"If-Match": "*"})
        assert (await client.get(f"{path}{by_series['id']}", headers=admin.headers)).status_code == 404
        assert (await client.get(f"{path}{other['id']}", headers=admin.headers)).status_code == 200
        await client.delete(f"/{element}s/{element_id}", headers=admin.headers | {"If-Match": "*"})
        assert (await client.get(path, headers=admin.headers)).json() == []
