"""Factories of the weather links: each on a new site and a new timeseries of the shared campaign."""

from __future__ import annotations

from bemserver.weather.parameters import PARAMETER_NAMES
from tests.campaigns.factories import shared_campaign
from tests.factories import Maker, Row, factory
from tests.timeseries.factories import timeseries


@factory("/weather_timeseries_by_sites/")
async def weather_timeseries_by_site(maker: Maker, n: int) -> Row:
    campaign = await shared_campaign(maker)
    site = await maker.create("/sites/", name=f"Weather site {n}", campaign_id=campaign["id"])
    owner = await maker.create("/timeseries/", **await timeseries(maker, 3000 + n))
    return {
        "parameter": PARAMETER_NAMES[n % len(PARAMETER_NAMES)],
        "site_id": site["id"],
        "timeseries_id": owner["id"],
        "forecast": n % 2 == 1,
    }
