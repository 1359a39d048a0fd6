"""GET /sites/{id}/degree_days: both methods, heating and cooling, units, periods in the campaign's
timezone (Europe/Paris, across the spring-forward day), errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import create
from tests.timeseries_data.conftest import CLEAN, post_json

MARCH_28 = "2020-03-28T00:00:00+01:00"
MARCH_29 = "2020-03-29T00:00:00+01:00"
MARCH_30 = "2020-03-30T00:00:00+02:00"


async def weather_link(client, world, site_id: int, timeseries_id: int, forecast: bool = False) -> None:
    await create(
        client,
        "/weather_timeseries_by_sites/",
        world.admin.headers,
        site_id=site_id,
        parameter="AIR_TEMPERATURE",
        timeseries_id=timeseries_id,
        forecast=forecast,
    )


@pytest.fixture
async def site(client, world) -> int:
    """A site of the Paris campaign whose air temperature (ts1, °C, Clean) is, on March 28th 2020,
    2 °C for the first 6 local hours (two points averaging 2 in the first hour) and 10 °C for the
    others; 20 °C at noon on the 29th (a 23-hour day); nothing on the 30th."""
    site = await create(
        client, "/sites/", world.admin.headers, name="Weather site", campaign_id=world.campaign
    )
    points: dict[str, float] = {"2020-03-28T00:00:00+01:00": 1.0, "2020-03-28T00:30:00+01:00": 3.0}
    points |= {f"2020-03-28T{hour:02}:00:00+01:00": 2.0 for hour in range(1, 6)}
    points |= {f"2020-03-28T{hour:02}:00:00+01:00": 10.0 for hour in range(6, 24)}
    points["2020-03-29T12:00:00+02:00"] = 20.0
    assert (
        await post_json(client, world.admin, {str(world.ts[0]): points}, data_state=CLEAN)
    ).status_code == 201
    await weather_link(client, world, site["id"], world.ts[0])
    return site["id"]


async def get_dd(client, user, site_id: int, **params: Any) -> Any:
    query = {"start_date": "2020-03-28", "end_date": "2020-03-31", "period": "day", **params}
    return await client.get(f"/sites/{site_id}/degree_days", params=query, headers=user.headers)


class TestReferenceMethod:
    async def test_daily_heating(self, client, world, site):
        response = await get_dd(client, world.admin, site)
        assert response.status_code == 200, response.text
        assert "ETag" not in response.headers
        # Day 1: (2 + 10) / 2 = 6, 18 - 6 = 12; day 2: 20 is above the base; day 3: no data
        assert response.json() == {"degree_days": {MARCH_28: 12.0, MARCH_29: 0.0, MARCH_30: None}}

    async def test_daily_cooling(self, client, world, site):
        response = await get_dd(client, world.admin, site, type="cooling")
        assert response.json() == {"degree_days": {MARCH_28: 0.0, MARCH_29: 2.0, MARCH_30: None}}

    @pytest.mark.parametrize(
        ("period", "expected"),
        [
            ("month", {"2020-03-01T00:00:00+01:00": 12.0}),
            ("year", {"2020-01-01T00:00:00+01:00": 12.0}),
            ("week", {"2020-03-23T00:00:00+01:00": 12.0, MARCH_30: None}),
        ],
    )
    async def test_periods_start_at_local_midnights(self, client, world, site, period, expected):
        response = await get_dd(client, world.admin, site, period=period)
        assert response.json() == {"degree_days": expected}

    @pytest.mark.parametrize(
        ("unit", "base", "expected"), [("°F", 64.4, 21.6), ("K", 291.15, 12.0), ("degC", 18, 12.0)]
    )
    async def test_units(self, client, world, site, unit, base, expected):
        response = await get_dd(client, world.admin, site, unit=unit, base=base, end_date="2020-03-29")
        (value,) = response.json()["degree_days"].values()
        assert value == pytest.approx(expected)

    async def test_base(self, client, world, site):
        response = await get_dd(client, world.admin, site, base=10)
        assert response.json()["degree_days"] == {MARCH_28: 4.0, MARCH_29: 0.0, MARCH_30: None}


class TestIntegratedMethod:
    async def test_mean_of_hourly_differences(self, client, world, site):
        # Day 1: 6 hours at 18 - 2 = 16 and 18 hours at 18 - 10 = 8: (96 + 144) / 24 = 10
        response = await get_dd(client, world.admin, site, method="integrated")
        assert response.json() == {"degree_days": {MARCH_28: 10.0, MARCH_29: 0.0, MARCH_30: None}}

    async def test_cooling(self, client, world, site):
        response = await get_dd(client, world.admin, site, method="integrated", type="cooling", base=8)
        # Day 1: 18 hours at 10 - 8 = 2, the others below: 36 / 24 = 1.5; day 2: 20 - 8 = 12
        assert response.json()["degree_days"] == {MARCH_28: 1.5, MARCH_29: 12.0, MARCH_30: None}


class TestWhichTemperature:
    async def test_forecasts_are_not_used(self, client, world):
        site = await create(
            client, "/sites/", world.admin.headers, name="Forecast only", campaign_id=world.campaign
        )
        await weather_link(client, world, site["id"], world.ts[0], forecast=True)
        response = await get_dd(client, world.admin, site["id"])
        assert response.status_code == 409
        assert response.json()["message"] == "Air temperature for site undefined or access denied."

    async def test_an_unreadable_temperature_is_undefined(self, client, world):
        site = await create(client, "/sites/", world.admin.headers, name="Hidden", campaign_id=world.campaign)
        hidden = await create(
            client, "/timeseries/", world.admin.headers, name="Hidden temperature", unit_symbol="°C",
            campaign_id=world.campaign, campaign_scope_id=world.scope2,
        )  # fmt: skip
        await weather_link(client, world, site["id"], hidden["id"])  # scope 2: the user may not read it
        response = await get_dd(client, world.user, site["id"])
        assert response.status_code == 409
        assert (await get_dd(client, world.admin, site["id"])).status_code == 200

    async def test_a_temperature_in_another_unit_is_a_422(self, client, world):
        site = await create(client, "/sites/", world.admin.headers, name="Meter", campaign_id=world.campaign)
        await weather_link(client, world, site["id"], world.ts[3])  # in Wh
        response = await get_dd(client, world.admin, site["id"])
        assert response.status_code == 422
        assert "Cannot convert" in response.json()["message"]

    async def test_unknown_site(self, client, world):
        assert (await get_dd(client, world.admin, 999999)).status_code == 404

    async def test_unreadable_site(self, client, world):
        site = await create(
            client, "/sites/", world.admin.headers, name="Other", campaign_id=world.other_campaign
        )
        assert (await get_dd(client, world.user, site["id"])).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "m"},
        {"unit": "not a unit"},
        {"base": "nan"},
        {"base": "inf"},
        {"period": "fortnight"},
        {"type": "both"},
        {"method": "average"},
        {"start_date": "1000-01-01"},
        {"end_date": "9999-12-31"},
        {"start_date": "2020-02-30"},
        {"start_date": "0001-01-01", "end_date": "2200-01-01"},
    ],
)
async def test_bad_arguments_get_422(client, world, site, params):
    response = await get_dd(client, world.admin, site, **params)
    assert response.status_code == 422, response.text


async def test_an_empty_or_reversed_range_gives_no_period(client, world, site):
    for end in ("2020-03-28", "2020-03-01"):
        response = await get_dd(client, world.admin, site, end_date=end)
        assert response.json() == {"degree_days": {}}
