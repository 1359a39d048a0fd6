"""How to make a valid row of each declared resource, for the generic tests in tests/conventions/.

Every resource the app mounts needs one factory, keyed by its path, in the test-factory module
its domain declares (`Domain.factories`, e.g. tests/campaigns/factories.py); this module holds
the registry and loads those modules. A factory gets a `Maker` (an admin HTTP client plus
helpers) and a number `n` (different numbers must give different rows, so that unique constraints
hold) and returns the JSON body of a valid POST to the resource. It may
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

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver import domain
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

    @property
    def engine(self) -> AsyncEngine:
        """The database of the app behind the client: factories of resources without POST insert
        their rows with it."""
        return self.client._transport.app.state.database.engine  # type: ignore[attr-defined]

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


def load_factories() -> None:
    """Import every discovered domain's factory module (each registers its factories)."""
    for found in domain.discover():
        if found.factories is not None:
            importlib.import_module(found.factories)


load_factories()
