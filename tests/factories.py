"""How to make a valid row of each declared resource, for the generic tests in tests/conventions/.

Every resource the app mounts needs one factory here, keyed by its path. A factory gets a `Maker`
(an admin HTTP client plus helpers) and a number `n` (different numbers must give different rows,
so that unique constraints hold) and returns the JSON body of a valid POST to the resource. It may
create the parent rows it needs with `maker.create(...)`, or share one parent between calls with
`maker.once(...)`. A resource without POST registers with `creates=True`: its factory makes the row
itself (through another route or SQL) and returns it as GET would.

    @factory("/sites/")
    async def site(maker: Maker, n: int) -> dict:
        campaign = await maker.once("campaign", "/campaigns/", name="Campaign")
        return {"name": f"Site {n}", "campaign_id": campaign["id"]}

`unique=False` tells the conflict test that posting the same body twice is allowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import Users

Row = dict[str, Any]


@dataclass
class Maker:
    client: httpx.AsyncClient
    users: Users
    shared: dict[str, Row] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return self.users.admin.headers

    async def create(self, path: str, **body: Any) -> Row:
        response = await self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == 201, f"POST {path} {body}: {response.status_code} {response.text}"
        return response.json()

    async def once(self, key: str, path: str, **body: Any) -> Row:
        """One parent row shared by every call of this test (made on first use)."""
        if key not in self.shared:
            self.shared[key] = await self.create(path, **body)
        return self.shared[key]


FactoryFn = Callable[[Maker, int], Awaitable[Row]]


@dataclass(frozen=True)
class Factory:
    make: FactoryFn
    creates: bool
    unique: bool


FACTORIES: dict[str, Factory] = {}

# Mounted resources that have no factory yet: the convention tests that need rows skip them, and
# tests/conventions/test_factories.py lists them. Add the factory and take the path out of here.
PENDING: set[str] = set()


def factory(path: str, *, creates: bool = False, unique: bool = True) -> Callable[[FactoryFn], FactoryFn]:
    def register(make: FactoryFn) -> FactoryFn:
        if path in FACTORIES:
            raise RuntimeError(f"Two factories for {path}")
        FACTORIES[path] = Factory(make, creates, unique)
        return make

    return register


async def make_row(maker: Maker, path: str, n: int) -> Row:
    """A new row of the resource at `path`, as its POST (or its factory) returns it."""
    made = FACTORIES[path]
    if made.creates:
        return await made.make(maker, n)
    return await maker.create(path, **(await made.make(maker, n)))


async def valid_body(maker: Maker, path: str, n: int) -> Row:
    """A body that a POST (or PUT) to the resource would accept, without creating the row."""
    return await FACTORIES[path].make(maker, n)


# -- users and groups ----------------------------------------------------------------------------


@factory("/users/")
async def user(maker: Maker, n: int) -> Row:
    return {"name": f"User {n}", "email": f"user{n}@factory.test", "password": f"password {n}"}


@factory("/user_groups/")
async def user_group(maker: Maker, n: int) -> Row:
    return {"name": f"Group {n}"}


@factory("/users_by_user_groups/")
async def user_by_user_group(maker: Maker, n: int) -> Row:
    group = await maker.create("/user_groups/", name=f"Membership group {n}")
    return {"user_id": maker.users.active.id, "user_group_id": group["id"]}


# -- campaigns and scopes: rows of the shared "campaign" and "scope" -----------------------------


async def shared_campaign(maker: Maker) -> Row:
    return await maker.once("campaign", "/campaigns/", name="Campaign", timezone="UTC")


async def shared_scope(maker: Maker) -> Row:
    campaign = await shared_campaign(maker)
    return await maker.once("scope", "/campaign_scopes/", name="Scope", campaign_id=campaign["id"])


@factory("/campaigns/")
async def campaign(maker: Maker, n: int) -> Row:
    return {"name": f"Campaign {n}", "timezone": "Europe/Paris", "start_time": "2020-01-01T00:00:00+00:00"}


@factory("/campaign_scopes/")
async def campaign_scope(maker: Maker, n: int) -> Row:
    return {"name": f"Scope {n}", "campaign_id": (await shared_campaign(maker))["id"]}


@factory("/user_groups_by_campaigns/")
async def user_group_by_campaign(maker: Maker, n: int) -> Row:
    group = await maker.create("/user_groups/", name=f"Campaign group {n}")
    return {"campaign_id": (await shared_campaign(maker))["id"], "user_group_id": group["id"]}


@factory("/user_groups_by_campaign_scopes/")
async def user_group_by_campaign_scope(maker: Maker, n: int) -> Row:
    group = await maker.create("/user_groups/", name=f"Scope group {n}")
    return {"campaign_scope_id": (await shared_scope(maker))["id"], "user_group_id": group["id"]}


# -- the building model, under the shared campaign: one shared site > building > storey > space ----


ELEMENT_PATHS = {
    "site": "sites",
    "building": "buildings",
    "storey": "storeys",
    "space": "spaces",
    "zone": "zones",
}
ELEMENT_PARENTS = {
    "site": "campaign",
    "building": "site",
    "storey": "building",
    "space": "storey",
    "zone": "campaign",
}


async def shared_element(maker: Maker, element: str) -> Row:
    """The shared row of an element type ("site" ... "zone"), under the shared parents."""
    body = await element_body(maker, element, element.capitalize())
    return await maker.once(element, f"/{ELEMENT_PATHS[element]}/", **body)


async def element_body(maker: Maker, element: str, name: str) -> Row:
    """A new element of that type under the shared parent (campaign, site, building or storey)."""
    above = ELEMENT_PARENTS[element]
    parent = await (shared_campaign(maker) if above == "campaign" else shared_element(maker, above))
    return {"name": name, f"{above}_id": parent["id"]}


@factory("/structural_element_properties/")
async def structural_element_property(maker: Maker, n: int) -> Row:
    return {
        "name": f"Property {n}",
        "value_type": "integer",
        "unit_symbol": "m",
        "description": f"Length {n}",
    }


def _register_element_factories(element: str) -> None:
    async def make_element(maker: Maker, n: int) -> Row:
        return await element_body(maker, element, f"{element.capitalize()} {n}")

    async def make_enabled_property(maker: Maker, n: int) -> Row:
        made = await maker.create("/structural_element_properties/", name=f"{element} property {n}")
        return {"structural_element_property_id": made["id"]}

    async def make_property_value(maker: Maker, n: int) -> Row:
        """A value on a new element, for one shared integer property enabled for this element type."""
        owner = await maker.create(
            f"/{ELEMENT_PATHS[element]}/", **await element_body(maker, element, f"Valued {n}")
        )
        defined = await maker.once(
            f"{element} valued property",
            "/structural_element_properties/",
            name=f"{element} size",
            value_type="integer",
        )
        enabled = await maker.once(
            f"{element} enabled property",
            f"/{element}_properties/",
            structural_element_property_id=defined["id"],
        )
        return {f"{element}_id": owner["id"], f"{element}_property_id": enabled["id"], "value": str(n)}

    factory(f"/{ELEMENT_PATHS[element]}/")(make_element)
    factory(f"/{element}_properties/")(make_enabled_property)
    factory(f"/{element}_property_data/")(make_property_value)


for _element in ELEMENT_PATHS:
    _register_element_factories(_element)


# -- timeseries metadata, in the shared campaign and scope ----------------------------------------


@factory("/timeseries_properties/")
async def timeseries_property(maker: Maker, n: int) -> Row:
    return {"name": f"TS property {n}", "value_type": "float", "unit_symbol": "W", "description": f"P {n}"}


@factory("/timeseries_data_states/")
async def timeseries_data_state(maker: Maker, n: int) -> Row:
    return {"name": f"State {n}"}


@factory("/timeseries/")
async def timeseries(maker: Maker, n: int) -> Row:
    campaign, scope = await shared_campaign(maker), await shared_scope(maker)
    return {
        "name": f"Timeseries {n}",
        "unit_symbol": "°C",
        "description": f"Temperature {n}",
        "campaign_id": campaign["id"],
        "campaign_scope_id": scope["id"],
    }


@factory("/timeseries_property_data/")
async def timeseries_property_data(maker: Maker, n: int) -> Row:
    """A value on a new timeseries of the shared scope, for one shared float property."""
    owner = await maker.create("/timeseries/", **await timeseries(maker, 1000 + n))
    prop = await maker.once("ts property", "/timeseries_properties/", name="Accuracy", value_type="float")
    return {"timeseries_id": owner["id"], "property_id": prop["id"], "value": f"{n}.5"}


def _register_timeseries_link_factory(element: str) -> None:
    async def make_link(maker: Maker, n: int) -> Row:
        """A new timeseries of the shared scope linked to the shared element of that type."""
        owner = await maker.create("/timeseries/", **await timeseries(maker, 2000 + n))
        return {"timeseries_id": owner["id"], f"{element}_id": (await shared_element(maker, element))["id"]}

    factory(f"/timeseries_by_{ELEMENT_PATHS[element]}/")(make_link)


for _element in ELEMENT_PATHS:
    _register_timeseries_link_factory(_element)
