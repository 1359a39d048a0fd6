"""GET /analysis/energy_consumption/... and /analysis/energy_production/...: sums of the Clean data
per bucket, by energy and end use (or production technology), converted and divided by a property."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import create
from tests.timeseries_data.conftest import CLEAN, post_json

# Seeded ids (the reference's): energies, end uses, production technologies
ELECTRICITY, NATURAL_GAS = 2, 3
HEATING, LIGHTING = 2, 5
PV_PANELS, WIND_TURBINES = 2, 3
DAY = "2020-01-01T00:00:00+00:00"
NEXT_DAY = "2020-01-03T00:00:00+00:00"


async def energy_timeseries(client, world, name: str, unit: str, scope: int | None = None) -> int:
    body = {"name": name, "unit_symbol": unit, "campaign_id": world.campaign}
    made = await create(
        client, "/timeseries/", world.admin.headers, **body, campaign_scope_id=scope or world.scope1
    )
    return made["id"]


async def element_property(
    client, world, kind: str, element_id: int, name: str, value: str, value_type="float"
):
    prop = await create(
        client, "/structural_element_properties/", world.admin.headers, name=name, value_type=value_type
    )
    enabled = await create(
        client, f"/{kind}_properties/", world.admin.headers, structural_element_property_id=prop["id"]
    )
    await create(
        client,
        f"/{kind}_property_data/",
        world.admin.headers,
        **{f"{kind}_id": element_id, f"{kind}_property_id": enabled["id"], "value": value},
    )


@pytest.fixture
async def site(client, world) -> dict[str, Any]:
    """A site and a building; electricity for heating in Wh (hourly 1..), gas for lighting in kWh,
    both on the site; PV production in kWh on the building; data in the Clean state."""
    site = await create(client, "/sites/", world.admin.headers, name="Site", campaign_id=world.campaign)
    building = await create(client, "/buildings/", world.admin.headers, name="Building", site_id=site["id"])
    elec = await energy_timeseries(client, world, "Electricity", "Wh")
    gas = await energy_timeseries(client, world, "Gas", "kWh")
    pv = await energy_timeseries(client, world, "PV", "kWh")
    hours = [f"2020-01-01T{hour:02}:00:00+00:00" for hour in range(24)]
    body = {
        str(elec): {moment: float(n + 1) for n, moment in enumerate(hours)},  # 300 Wh on day 1
        str(gas): {hours[0]: 1.5, "2020-01-02T12:00:00+00:00": 2.0},
        str(pv): {hours[12]: 4.0},
    }
    assert (await post_json(client, world.admin, body, data_state=CLEAN)).status_code == 201
    links = [
        ("/energy_consumption_timeseries_by_sites/", "site_id", site["id"], ELECTRICITY, "end_use_id", HEATING, elec),
        ("/energy_consumption_timeseries_by_sites/", "site_id", site["id"], NATURAL_GAS, "end_use_id", LIGHTING, gas),
        ("/energy_consumption_timeseries_by_buildings/", "building_id", building["id"], NATURAL_GAS, "end_use_id",
         HEATING, gas),
        ("/energy_production_timeseries_by_buildings/", "building_id", building["id"], ELECTRICITY, "prod_tech_id",
         PV_PANELS, pv),
        ("/energy_production_timeseries_by_sites/", "site_id", site["id"], ELECTRICITY, "prod_tech_id", PV_PANELS, pv),
    ]  # fmt: skip
    for path, key, element_id, energy, category_key, category, timeseries_id in links:
        await create(
            client,
            path,
            world.admin.headers,
            **{key: element_id, "energy_id": energy, category_key: category, "timeseries_id": timeseries_id},
        )
    return {"site": site["id"], "building": building["id"], "elec": elec, "gas": gas, "pv": pv}


async def get_breakdown(client, user, flow, kind, element_id, **params) -> Any:
    query = {
        "start_time": DAY,
        "end_time": NEXT_DAY,
        "bucket_width_value": 1,
        "bucket_width_unit": "day",
        **params,
    }
    return await client.get(
        f"/analysis/energy_{flow}/{kind}/{element_id}", params=query, headers=user.headers
    )


class TestConsumption:
    async def test_site_breakdown_in_wh(self, client, world, site):
        response = await get_breakdown(client, world.admin, "consumption", "site", site["site"])
        assert response.status_code == 200, response.text
        assert "ETag" in response.headers
        assert response.json() == {
            "timestamps": [DAY, "2020-01-02T00:00:00+00:00"],
            "energy": {
                "electricity": {"heating": [300.0, 0.0]},
                "natural gas": {"lighting": [1500.0, 2000.0]},
            },
        }

    async def test_converted_and_divided_by_a_property(self, client, world, site):
        await element_property(client, world, "site", site["site"], "Area", "100")
        response = await get_breakdown(
            client, world.admin, "consumption", "site", site["site"], unit="kWh", ratio_property="Area"
        )
        assert response.json()["energy"] == {
            "electricity": {"heating": [0.003, 0.0]},
            "natural gas": {"lighting": [0.015, 0.02]},
        }

    async def test_building_breakdown_in_local_days(self, client, world, site):
        response = await get_breakdown(
            client, world.admin, "consumption", "building", site["building"], timezone="Europe/Paris"
        )
        body = response.json()
        assert body["timestamps"] == [
            "2020-01-01T00:00:00+01:00",
            "2020-01-02T00:00:00+01:00",
            "2020-01-03T00:00:00+01:00",
        ]
        assert body["energy"] == {"natural gas": {"heating": [1500.0, 2000.0, 0.0]}}

    async def test_no_links_gives_no_energy(self, client, world, site):
        other = await create(client, "/sites/", world.admin.headers, name="Other", campaign_id=world.campaign)
        response = await get_breakdown(client, world.admin, "consumption", "site", other["id"])
        assert response.json() == {"timestamps": [DAY, "2020-01-02T00:00:00+00:00"], "energy": {}}


class TestProduction:
    @pytest.mark.parametrize("kind", ["site", "building"])
    async def test_by_production_technology(self, client, world, site, kind):
        response = await get_breakdown(client, world.admin, "production", kind, site[kind])
        assert response.status_code == 200, response.text
        assert response.json()["energy"] == {"electricity": {"PV panels": [4000.0, 0.0]}}


class TestErrors:
    @pytest.mark.parametrize("flow", ["consumption", "production"])
    @pytest.mark.parametrize("kind", ["site", "building"])
    async def test_unknown_element(self, client, world, site, flow, kind):
        response = await get_breakdown(client, world.admin, flow, kind, 999999)
        assert response.status_code == 404

    async def test_missing_ratio_property(self, client, world, site):
        response = await get_breakdown(
            client, world.admin, "consumption", "site", site["site"], ratio_property="Area"
        )
        assert response.status_code == 409
        assert response.json()["message"] == 'Site has no "Area" property.'
        building = await get_breakdown(
            client, world.admin, "consumption", "building", site["building"], ratio_property="Area"
        )
        assert building.json()["message"] == 'Building has no "Area" property.'

    @pytest.mark.parametrize(
        ("value", "value_type"), [("0", "float"), ("0.0", "float"), ("0", "integer"), ("big", "string")]
    )
    async def test_a_ratio_that_cannot_divide_is_a_409_not_a_500(
        self, client, world, site, value, value_type
    ):
        await element_property(client, world, "site", site["site"], "Area", value, value_type)
        response = await get_breakdown(
            client, world.admin, "consumption", "site", site["site"], ratio_property="Area"
        )
        assert response.status_code == 409
        assert "Area" in response.json()["message"]

    async def test_incompatible_unit(self, client, world, site):
        response = await get_breakdown(client, world.admin, "consumption", "site", site["site"], unit="°C")
        assert response.status_code == 409
        assert response.json()["message"] == "Incompatible unit in input timeseries."
        temperature = await energy_timeseries(client, world, "Not energy", "°C")
        await create(
            client, "/energy_consumption_timeseries_by_sites/", world.admin.headers,
            site_id=site["site"], energy_id=ELECTRICITY, end_use_id=LIGHTING, timeseries_id=temperature,
        )  # fmt: skip
        response = await get_breakdown(client, world.admin, "consumption", "site", site["site"])
        assert response.status_code == 409

    async def test_unknown_unit(self, client, world, site):
        response = await get_breakdown(
            client, world.admin, "consumption", "site", site["site"], unit="furlong/x^"
        )
        assert response.status_code == 422

    async def test_unreadable_timeseries_are_left_out(self, client, world, site):
        # The user may read scope 1 only: a meter in scope 2 is left out, not refused.
        hidden = await energy_timeseries(client, world, "Hidden", "Wh", scope=world.scope2)
        await create(
            client, "/energy_consumption_timeseries_by_sites/", world.admin.headers,
            site_id=site["site"], energy_id=NATURAL_GAS, end_use_id=HEATING, timeseries_id=hidden,
        )  # fmt: skip
        as_user = await get_breakdown(client, world.user, "consumption", "site", site["site"])
        assert as_user.status_code == 200
        assert as_user.json()["energy"] == {
            "electricity": {"heating": [300.0, 0.0]},
            "natural gas": {"lighting": [1500.0, 2000.0]},
        }
        as_admin = await get_breakdown(client, world.admin, "consumption", "site", site["site"])
        assert as_admin.json()["energy"]["natural gas"] == {
            "lighting": [1500.0, 2000.0],
            "heating": [0.0, 0.0],
        }

    async def test_a_site_of_another_campaign_is_forbidden(self, client, world, site):
        other = await create(
            client, "/sites/", world.admin.headers, name="Other", campaign_id=world.other_campaign
        )
        response = await get_breakdown(client, world.user, "consumption", "site", other["id"])
        assert response.status_code == 403
