"""The permission matrix of the analyses, derived from the rules of the rows they read.

Each analysis reads an element, links and timeseries data; for each role, the expected answer comes
from the audience tags of those rows' rules (bemserver.permissions), never from a table typed here:
- completeness: the timeseries' data (403 without it);
- energy breakdowns: the site or building (403 without it), then the links and timeseries the role
  may read (the others are left out: "200 without data");
- degree days: the site (403), then its air temperature link and timeseries (409 without them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bemserver import permissions
from bemserver.energy import models as energy
from bemserver.structure.models import Building, Site
from bemserver.timeseries.models import Timeseries
from bemserver.weather.models import WeatherTimeseriesBySite
from tests.factories import Row
from tests.permissions.world import ROLES, World, make_world

WINDOW = {"start_time": "2020-01-01T00:00:00+00:00", "end_time": "2020-01-03T00:00:00+00:00"}
BUCKETS = WINDOW | {"bucket_width_value": 1, "bucket_width_unit": "day"}


@dataclass
class Rows:
    site: int
    building: int
    temperature: int
    meter: int


async def make_rows(world: World) -> Rows:
    maker = world.maker
    campaign, scope = world.rows["/campaigns/"], world.rows["/campaign_scopes/"]
    site = await maker.create("/sites/", name="Analysed site", campaign_id=campaign["id"])
    building = await maker.create("/buildings/", name="Analysed building", site_id=site["id"])

    async def timeseries(name: str, unit: str) -> int:
        made: Row = await maker.create(
            "/timeseries/",
            name=name,
            unit_symbol=unit,
            campaign_id=campaign["id"],
            campaign_scope_id=scope["id"],
        )
        return made["id"]

    temperature, meter = await timeseries("Outdoor", "°C"), await timeseries("Meter", "Wh")
    for kind, element in (("site", site), ("building", building)):
        plural = f"{kind}s"
        await maker.create(
            f"/energy_consumption_timeseries_by_{plural}/",
            **{f"{kind}_id": element["id"]}, energy_id=2, end_use_id=2, timeseries_id=meter,
        )  # fmt: skip
        await maker.create(
            f"/energy_production_timeseries_by_{plural}/",
            **{f"{kind}_id": element["id"]}, energy_id=2, prod_tech_id=2, timeseries_id=meter,
        )  # fmt: skip
    await maker.create(
        "/weather_timeseries_by_sites/",
        site_id=site["id"], parameter="AIR_TEMPERATURE", timeseries_id=temperature, forecast=False,
    )  # fmt: skip
    return Rows(site["id"], building["id"], temperature, meter)


def analyses(rows: Rows) -> dict[str, tuple[str, dict[str, Any], list[tuple[type[Any], str]]]]:
    """name -> (path, query, the (table, outcome) steps: a role outside a table's read audience gets
    that outcome)."""
    found: dict[str, tuple[str, dict[str, Any], list[tuple[type[Any], str]]]] = {
        "completeness": (
            "/analysis/completeness",
            BUCKETS | {"timeseries": [rows.temperature], "data_state": 1},
            [(Timeseries, "403")],
        ),
        "degree days": (
            f"/sites/{rows.site}/degree_days",
            {"start_date": "2020-01-01", "end_date": "2020-01-03", "period": "day"},
            [(Site, "403"), (WeatherTimeseriesBySite, "409"), (Timeseries, "409")],
        ),
    }
    links = {
        ("consumption", "site"): energy.EnergyConsumptionTimeseriesBySite,
        ("consumption", "building"): energy.EnergyConsumptionTimeseriesByBuilding,
        ("production", "site"): energy.EnergyProductionTimeseriesBySite,
        ("production", "building"): energy.EnergyProductionTimeseriesByBuilding,
    }
    for (flow, kind), link in links.items():
        element_id, model = (rows.site, Site) if kind == "site" else (rows.building, Building)
        found[f"{flow} by {kind}"] = (
            f"/analysis/energy_{flow}/{kind}/{element_id}",
            BUCKETS,
            [(model, "403"), (link, "200 without data"), (Timeseries, "200 without data")],
        )
    return found


def expected_status(world: World, role: str, steps: list[tuple[type[Any], str]]) -> str:
    if role == "inactive":
        return "403"
    if role == "admin":
        return "200"
    for model, outcome in steps:
        if not world.lets_through(permissions.audience_of(model, "read"), role, {}):
            return outcome
    return "200"


def actual_status(response: Any) -> str:
    status = str(response.status_code)
    if status == "200" and "energy" in response.json():
        return "200" if response.json()["energy"] else "200 without data"
    return status


async def test_each_role_gets_what_the_rules_declare(client, users, engine):
    world = await make_world(client, users, engine)
    rows = await make_rows(world)
    expected, actual = {}, {}
    for name, (path, query, steps) in analyses(rows).items():
        for role in ROLES:
            expected[role, name] = expected_status(world, role, steps)
            response = await client.get(path, params=query, headers=world.roles[role].headers)
            actual[role, name] = actual_status(response)
    wrong = [
        f"{role:>17} {name:<24} expected {expected[role, name]:<16} got {actual[role, name]}"
        for role, name in expected
        if expected[role, name] != actual[role, name]
    ]
    assert not wrong, "\n".join(wrong)
    # The matrix is not trivial: some role is refused, some role gets less than everything.
    assert {"403", "409", "200 without data"} <= set(actual.values())
