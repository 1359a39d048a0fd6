"""A campaign with a scope, a site with coordinates, helpers to link weather timeseries, and the
local fake weather providers with apps that use them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import create

# A campaign and its scope: the same fixtures as the timeseries tests'.
from tests.timeseries.conftest import campaign, scope  # noqa: F401
from tests.weather.fake_providers import OIKOLAB_KEY, FakeProviders, start_server


@pytest.fixture
async def site(client, admin, campaign) -> dict[str, Any]:  # noqa: F811
    return await create(
        client,
        "/sites/",
        admin.headers,
        name="Site",
        latitude=46.0,
        longitude=6.0,
        campaign_id=campaign["id"],
    )


async def weather_timeseries(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    in_scope: dict[str, Any],
    site: dict[str, Any],
    parameter: str,
    unit: str,
    forecast: bool = False,
) -> dict[str, Any]:
    """A new timeseries in that unit, linked to the site for the parameter; returns the timeseries."""
    name = f"{parameter} {'forecast' if forecast else 'measured'} {site['id']}"
    made = await create(
        client,
        "/timeseries/",
        headers,
        name=name,
        unit_symbol=unit,
        campaign_id=in_scope["campaign_id"],
        campaign_scope_id=in_scope["id"],
    )
    await create(
        client,
        "/weather_timeseries_by_sites/",
        headers,
        parameter=parameter,
        site_id=site["id"],
        timeseries_id=made["id"],
        forecast=forecast,
    )
    return made


@pytest.fixture
def fake() -> Iterator[FakeProviders]:
    made, server = start_server()
    yield made
    server.shutdown()
    server.server_close()


SETTINGS = {
    "om": {},
    "oiko": {"weather_provider": "oikolab", "weather_api_key": OIKOLAB_KEY},
}
PATHS = {"om": "", "oiko": "/weather"}


async def app_for(
    client_for: Any, fake: FakeProviders, name: str, timeout: float = 30.0
) -> httpx.AsyncClient:
    """An app whose provider ("om": Open-Meteo, "oiko": Oikolab with the key the fake accepts) is
    at the fake server; the timeout is generous, the machine running the tests may be busy."""
    return await client_for(weather_api_url=fake.url + PATHS[name], weather_timeout=timeout, **SETTINGS[name])
