"""The data the web interface's browser tests walk through, made through the API as the admin.

Campaign "Alpha" (Europe/Paris): scopes "S1" and "S2"; a site > building > storey > space and a
zone; in S1 five series with a year of 10-minute data (2023) and a few others; in S2 "Secret S2".
Campaign "Beta": one timeseries "Beta only". Campaign "Big": 10,000 timeseries.
The member (member@browser.test) is in a group linked to Alpha and to S1 only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.browser.conftest import LiveServer

MEMBER_EMAIL, MEMBER_PASSWORD = "member@browser.test", "member-password"
YEAR_SERIES = ["Outdoor temperature", "Indoor temperature", "Gas power", "Electric power", "Humidity"]
UNITS = ["°C", "°C", "kW", "kW", "%"]
BIG = 10_000


@dataclass
class UiWorld:
    alpha: int
    beta: int
    big: int
    scope1: int
    scope2: int
    secret_ts: int
    beta_ts: int
    year_ts: list[int]
    site: int
    zone: int
    ids: dict[str, Any] = field(default_factory=dict)


class _Refreshed(httpx.Auth):
    """The admin's Bearer token, taken again when it expires (the data set lives for the session)."""

    def __init__(self, server: LiveServer) -> None:
        self.server, self.token = server, server.token()

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = self.server.token()
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


class Admin:
    def __init__(self, server: LiveServer) -> None:
        self.client = httpx.Client(base_url=server.url, auth=_Refreshed(server), timeout=300)

    def post(self, path: str, body: Any, **params: Any) -> Any:
        answer = self.client.post(path, json=body, params=params)
        assert answer.status_code in (200, 201), f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _year_csv(name: str, phase: int) -> str:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    lines = [f"Datetime,{name}"]
    for i in range(365 * 144):
        value = (
            10 + 8 * math.sin(i / 144 / 58 + phase) + 3 * math.sin(i / 23.0 + phase) + (i * 7919 % 13) / 10
        )
        lines.append(f"{(start + timedelta(minutes=10 * i)).isoformat()},{value:.2f}")
    return "\n".join(lines) + "\n"


def make_world(server: LiveServer) -> UiWorld:
    admin = Admin(server)
    alpha = admin.post(
        "/campaigns/", {"name": "Alpha", "timezone": "Europe/Paris", "description": "Head office"}
    )
    beta = admin.post("/campaigns/", {"name": "Beta", "timezone": "UTC"})
    big = admin.post("/campaigns/", {"name": "Big", "timezone": "UTC"})
    s1 = admin.post("/campaign_scopes/", {"name": "S1", "campaign_id": alpha["id"]})
    s2 = admin.post("/campaign_scopes/", {"name": "S2", "campaign_id": alpha["id"]})
    sb = admin.post("/campaign_scopes/", {"name": "SB", "campaign_id": beta["id"]})
    admin.post("/campaign_scopes/", {"name": "Meters", "campaign_id": big["id"]})

    member = admin.post("/users/", {"name": "Member", "email": MEMBER_EMAIL, "password": MEMBER_PASSWORD})
    group = admin.post("/user_groups/", {"name": "Alpha S1 readers"})
    admin.post("/users_by_user_groups/", {"user_id": member["id"], "user_group_id": group["id"]})
    admin.post("/user_groups_by_campaigns/", {"user_group_id": group["id"], "campaign_id": alpha["id"]})
    admin.post(
        "/user_groups_by_campaign_scopes/", {"user_group_id": group["id"], "campaign_scope_id": s1["id"]}
    )

    site = admin.post(
        "/sites/", {"name": "Head office", "campaign_id": alpha["id"], "latitude": 48.8, "longitude": 2.3}
    )
    building = admin.post("/buildings/", {"name": "Building A", "site_id": site["id"]})
    storey = admin.post("/storeys/", {"name": "Ground floor", "building_id": building["id"]})
    space = admin.post("/spaces/", {"name": "Room 1", "storey_id": storey["id"]})
    zone = admin.post("/zones/", {"name": "South facade", "campaign_id": alpha["id"]})
    area = admin.post(
        "/structural_element_properties/", {"name": "Area", "value_type": "float", "unit_symbol": "m²"}
    )
    enabled = admin.post("/building_properties/", {"structural_element_property_id": area["id"]})
    admin.post(
        "/building_property_data/",
        {"building_id": building["id"], "building_property_id": enabled["id"], "value": "1200.5"},
    )

    year_ts = []
    for name, unit in zip(YEAR_SERIES, UNITS, strict=True):
        made = admin.post(
            "/timeseries/",
            {"name": name, "unit_symbol": unit, "campaign_id": alpha["id"], "campaign_scope_id": s1["id"]},
        )
        year_ts.append(made["id"])
    admin.post("/timeseries_by_spaces/", {"timeseries_id": year_ts[1], "space_id": space["id"]})
    admin.post("/timeseries_by_zones/", {"timeseries_id": year_ts[0], "zone_id": zone["id"]})
    admin.post(
        "/weather_timeseries_by_sites/",
        {
            "timeseries_id": year_ts[0],
            "site_id": site["id"],
            "parameter": "AIR_TEMPERATURE",
            "forecast": False,
        },
    )
    secret = admin.post(
        "/timeseries/",
        {"name": "Secret S2", "unit_symbol": "kW", "campaign_id": alpha["id"], "campaign_scope_id": s2["id"]},
    )
    beta_ts = admin.post(
        "/timeseries/",
        {"name": "Beta only", "unit_symbol": "kW", "campaign_id": beta["id"], "campaign_scope_id": sb["id"]},
    )
    for phase, name in enumerate(YEAR_SERIES):
        # Raw (1) for the pages; the outdoor temperature in Clean (2) too, for the degree days
        for state in (1, 2) if phase == 0 else (1,):
            answer = admin.client.post(
                f"/timeseries_data/campaign/{alpha['id']}/",
                params={"data_state": state},
                content=_year_csv(name, phase).encode(),
                headers={"Content-Type": "text/csv"},
            )
            assert answer.status_code == 201, answer.text

    energies = admin.get("/energies/")[:2]
    use = admin.get("/energy_end_uses/")[0]
    for energy in energies:
        meter = admin.post(
            "/timeseries/",
            {
                "name": f"{energy['name']} meter",
                "unit_symbol": "kWh",
                "campaign_id": alpha["id"],
                "campaign_scope_id": s1["id"],
            },
        )
        admin.post(
            "/energy_consumption_timeseries_by_buildings/",
            {
                "timeseries_id": meter["id"],
                "building_id": building["id"],
                "energy_id": energy["id"],
                "end_use_id": use["id"],
            },
        )
        daily = "\n".join(
            [f"Datetime,{energy['name']} meter"]
            + [
                f"{(datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=day)).isoformat()},100"
                for day in range(365)
            ]
        )
        answer = admin.client.post(
            f"/timeseries_data/campaign/{alpha['id']}/",
            params={"data_state": 1},
            content=daily.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert answer.status_code == 201, answer.text

    rows = ["Campaign scope,Name,Description,Unit,Site,Building,Storey,Space,Zone"]
    rows += [f"Meters,Meter {i:05d},Meter number {i},{'kWh' if i % 3 else 'm³'},,,,," for i in range(BIG)]
    answer = admin.client.post(
        "/io/timeseries",
        params={"campaign_id": big["id"]},
        files={"timeseries_csv": ("ts.csv", "\n".join(rows).encode(), "text/csv")},
    )
    assert answer.status_code in (200, 201), answer.text

    category = admin.post("/event_categories/", {"name": "Comfort", "description": "Comfort alarms"})
    for level, scope in (("WARNING", s1), ("ERROR", s1), ("CRITICAL", s2)):
        event = admin.post(
            "/events/",
            {
                "timestamp": "2023-03-01T10:00:00+00:00",
                "level": level,
                "campaign_scope_id": scope["id"],
                "category_id": category["id"],
                "source": f"BMS {scope['name']}",
                "description": f"Overheating in {scope['name']}",
            },
        )
        if scope is s1:
            admin.post("/timeseries_by_events/", {"timeseries_id": year_ts[1], "event_id": event["id"]})
            admin.post("/events_by_zones/", {"event_id": event["id"], "zone_id": zone["id"]})
    return UiWorld(
        alpha["id"],
        beta["id"],
        big["id"],
        s1["id"],
        s2["id"],
        secret["id"],
        beta_ts["id"],
        year_ts,
        site["id"],
        zone["id"],
        {"category": category["id"], "member": member["id"], "admin": admin},
    )
