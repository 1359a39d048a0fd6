"""DownloadWeatherData through POST /tasks/run and a worker, against the local fake Open-Meteo."""

from __future__ import annotations

from tests.tasks.conftest import stored

# The local fake weather providers: the same fixture as the weather tests'.
from tests.weather.conftest import fake  # noqa: F401

WINDOW = ("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")


async def weather_site(campaign, name: str, latitude: float | None = 46.0) -> tuple[int, int]:
    """A site of the campaign with an air temperature timeseries (°C) linked to it."""
    site = await campaign.post(
        "/sites/", name=name, campaign_id=campaign.id, latitude=latitude, longitude=6.0
    )
    series = await campaign.post(
        "/timeseries/",
        name=f"{name} air temperature",
        unit_symbol="°C",
        campaign_id=campaign.id,
        campaign_scope_id=campaign.scope,
    )
    await campaign.post(
        "/weather_timeseries_by_sites/",
        parameter="AIR_TEMPERATURE",
        site_id=site["id"],
        timeseries_id=series["id"],
        forecast=False,
    )
    return site["id"], series["id"]


async def test_the_task_downloads_the_named_sites_into_clean(campaign, worker, engine, fake):  # noqa: F811
    worker(weather_api_url=fake.url)
    _, first = await weather_site(campaign, "North")
    _, second = await weather_site(campaign, "South")
    _, untouched = await weather_site(campaign, "East")
    run = await campaign.run("DownloadWeatherData", *WINDOW, sites=["North", "South"])
    assert run["status"] == "succeeded", run
    assert run["result"]["sites"] == 2
    north = await stored(engine, first)
    assert len(north) == 23  # the fixture's last hour is null
    assert run["result"]["points"] == len(north) + len(await stored(engine, second))
    assert await stored(engine, untouched) == {}
    assert len(fake.requests) == 2


async def test_a_site_that_fails_fails_the_run_and_leaves_every_site_as_it_was(
    campaign,
    worker,
    engine,
    fake,  # noqa: F811
):
    worker(weather_api_url=fake.url)
    _, first = await weather_site(campaign, "North")
    _, second = await weather_site(campaign, "Nowhere", latitude=None)
    await campaign.write(first, {"2020-01-01T05:00:00Z": 99.0}, state=2)
    run = await campaign.run("DownloadWeatherData", *WINDOW, sites=["North", "Nowhere"])
    assert run["status"] == "failed"
    assert run["error"] == "Site Nowhere: Missing site coordinates."
    assert await stored(engine, first) == {"2020-01-01T05:00:00Z": 99.0}
    assert await stored(engine, second) == {}


async def test_a_provider_error_is_the_runs_error(campaign, worker, fake):  # noqa: F811
    worker(weather_api_url=fake.url)
    await weather_site(campaign, "North")
    fake.error(500, "open_meteo_error.json")
    run = await campaign.run("DownloadWeatherData", *WINDOW, sites=["North"])
    assert run["status"] == "failed"
    assert run["error"].startswith("Site North: ")
    assert "HTTP 500" in run["error"]
    assert "out of allowed range from 1940-01-01" in run["error"]
