"""/weather_timeseries_by_sites/: document, PUT, filters, uniqueness, campaign check, permissions."""

from __future__ import annotations

from tests.helpers import create, etag_of
from tests.timeseries.conftest import link_user_to_scope, new_timeseries

PATH = "/weather_timeseries_by_sites/"


async def _link(client, admin, site, ts, parameter="AIR_TEMPERATURE", forecast=False) -> dict:
    return await create(
        client,
        PATH,
        admin.headers,
        parameter=parameter,
        site_id=site["id"],
        timeseries_id=ts["id"],
        forecast=forecast,
    )


class TestDocument:
    async def test_fields_in_the_reference_order_with_the_nested_timeseries(
        self, client, admin, campaign, scope, site
    ):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T", unit_symbol="°C")
        made = await _link(client, admin, site, ts)
        assert list(made) == ["id", "parameter", "timeseries", "site_id", "timeseries_id", "forecast"]
        assert made["parameter"] == "AIR_TEMPERATURE"
        assert made["timeseries"] == {
            "name": "T",
            "unit_symbol": "°C",
            "campaign_id": campaign["id"],
            "campaign_scope_id": scope["id"],
        }
        response = await client.get(f"{PATH}{made['id']}", headers=admin.headers)
        assert response.json() == made
        assert "ETag" in response.headers
        listed = await client.get(PATH, headers=admin.headers)
        assert listed.json() == [made]
        assert "X-Pagination" not in listed.headers

    async def test_put_replaces_every_field(self, client, admin, campaign, scope, site):
        first = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T1")
        second = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T2")
        made = await _link(client, admin, site, first)
        path = f"{PATH}{made['id']}"
        body = {
            "parameter": "WIND_SPEED",
            "site_id": site["id"],
            "timeseries_id": second["id"],
            "forecast": True,
        }
        response = await client.put(
            path, json=body, headers=admin.headers | {"If-Match": await etag_of(client, path, admin.headers)}
        )
        assert response.status_code == 200, response.text
        assert {key: response.json()[key] for key in body} == body
        assert response.json()["timeseries"]["name"] == "T2"

    async def test_put_without_if_match_is_428(self, client, admin, campaign, scope, site):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        made = await _link(client, admin, site, ts)
        body = {key: made[key] for key in ("parameter", "site_id", "timeseries_id", "forecast")}
        response = await client.put(f"{PATH}{made['id']}", json=body, headers=admin.headers)
        assert response.status_code == 428


class TestValidation:
    async def test_one_timeseries_per_site_parameter_and_forecast(self, client, admin, campaign, scope, site):
        first = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T1")
        second = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T2")
        await _link(client, admin, site, first)
        await _link(client, admin, site, second, forecast=True)
        response = await client.post(
            PATH,
            json={
                "parameter": "AIR_TEMPERATURE",
                "site_id": site["id"],
                "timeseries_id": second["id"],
                "forecast": False,
            },
            headers=admin.headers,
        )
        assert response.status_code == 409
        assert response.json()["message"] == "Unique constraint violation"

    async def test_an_unknown_parameter_is_422(self, client, admin, campaign, scope, site):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        response = await client.post(
            PATH,
            json={
                "parameter": "SNOW_DEPTH",
                "site_id": site["id"],
                "timeseries_id": ts["id"],
                "forecast": False,
            },
            headers=admin.headers,
        )
        assert response.status_code == 422
        assert "parameter" in response.json()["errors"]["json"]

    async def test_a_missing_parameter_is_422_naming_it(self, client, admin, campaign, scope, site):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        response = await client.post(
            PATH,
            json={"site_id": site["id"], "timeseries_id": ts["id"], "forecast": False},
            headers=admin.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {"parameter": ["Missing data for required field."]}

    async def test_site_and_timeseries_of_different_campaigns_are_422(self, client, admin, scope, site):
        other = await create(client, "/campaigns/", admin.headers, name="Other", timezone="UTC")
        other_scope = await create(
            client, "/campaign_scopes/", admin.headers, name="Other scope", campaign_id=other["id"]
        )
        ts = await new_timeseries(client, admin.headers, other["id"], other_scope["id"], "Foreign")
        response = await client.post(
            PATH,
            json={
                "parameter": "AIR_TEMPERATURE",
                "site_id": site["id"],
                "timeseries_id": ts["id"],
                "forecast": False,
            },
            headers=admin.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"] == {
            "_schema": ["The timeseries and the site belong to different campaigns."]
        }

    async def test_unknown_site_is_409(self, client, admin, campaign, scope):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        response = await client.post(
            PATH,
            json={
                "parameter": "AIR_TEMPERATURE",
                "site_id": 999999,
                "timeseries_id": ts["id"],
                "forecast": False,
            },
            headers=admin.headers,
        )
        assert response.status_code == 409


class TestFilters:
    async def test_each_filter(self, client, admin, campaign, scope, site):
        made = []
        for number, (parameter, forecast) in enumerate(
            (("AIR_TEMPERATURE", False), ("AIR_TEMPERATURE", True), ("RELATIVE_HUMIDITY", False))
        ):
            ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], f"T{number}")
            made.append(await _link(client, admin, site, ts, parameter, forecast))

        async def ids(**query) -> list[int]:
            response = await client.get(PATH, params=query, headers=admin.headers)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()]

        assert await ids(site_id=site["id"]) == [item["id"] for item in made]
        assert await ids(parameter="AIR_TEMPERATURE") == [made[0]["id"], made[1]["id"]]
        assert await ids(forecast="true") == [made[1]["id"]]
        assert await ids(timeseries_id=made[2]["timeseries_id"]) == [made[2]["id"]]
        assert await ids(parameter="RELATIVE_HUMIDITY", forecast="false") == [made[2]["id"]]
        # A name that is no parameter lists nothing (the reference compares it with the enum names).
        assert await ids(parameter="air_temperature") == []
        assert await ids(parameter="%") == []


class TestPermissions:
    async def test_members_of_the_timeseries_scope_read_links_but_do_not_write(
        self, client, admin, user, campaign, scope, site
    ):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        made = await _link(client, admin, site, ts)
        assert (await client.get(PATH, headers=user.headers)).json() == []
        assert (await client.get(f"{PATH}{made['id']}", headers=user.headers)).status_code == 403
        await link_user_to_scope(client, admin.headers, user.id, scope["id"])
        assert [item["id"] for item in (await client.get(PATH, headers=user.headers)).json()] == [made["id"]]
        assert (await client.get(f"{PATH}{made['id']}", headers=user.headers)).status_code == 200
        response = await client.delete(f"{PATH}{made['id']}", headers=user.headers | {"If-Match": "*"})
        assert response.status_code == 403

    async def test_deleting_the_site_or_the_timeseries_deletes_the_link(
        self, client, admin, campaign, scope, site
    ):
        ts = await new_timeseries(client, admin.headers, campaign["id"], scope["id"], "T")
        await _link(client, admin, site, ts)
        response = await client.delete(f"/timeseries/{ts['id']}", headers=admin.headers | {"If-Match": "*"})
        assert response.status_code == 204
        assert (await client.get(PATH, headers=admin.headers)).json() == []
