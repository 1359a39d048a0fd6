"""Factories of the energy domain: rows of the seeded lists (inserted in SQL: they have no POST)
and energy links of new timeseries of the shared scope to a shared site or building."""

from __future__ import annotations

from sqlalchemy import insert

from bemserver.energy import models as m
from tests.factories import Maker, Row, factory
from tests.structure.factories import ELEMENT_PATHS, element_body
from tests.timeseries.factories import timeseries

ENERGIES, END_USES, PRODUCTION_TECHNOLOGIES = 10, 6, 4  # seeded rows


async def insert_named(maker: Maker, model: type, name: str) -> Row:
    """A new row of a seeded table, as its list shows it."""
    async with maker.engine.begin() as connection:
        made = await connection.execute(insert(model).values(name=name).returning(model.id, model.name))
    return dict(made.mappings().one())


@factory("/energies/", creates=True)
async def energy(maker: Maker, n: int) -> Row:
    return await insert_named(maker, m.Energy, f"Energy {n}")


@factory("/energy_end_uses/", creates=True)
async def energy_end_use(maker: Maker, n: int) -> Row:
    return await insert_named(maker, m.EnergyEndUse, f"End use {n}")


@factory("/energy_production_technologies/", creates=True)
async def energy_production_technology(maker: Maker, n: int) -> Row:
    return await insert_named(maker, m.EnergyProductionTechnology, f"Technology {n}")


async def metered(maker: Maker, element: str, block: int) -> Row:
    """A site or building (under the shared parents) shared by the links of one block of numbers."""
    body = await element_body(maker, element, f"Metered {element} {block}")
    return await maker.once(f"metered {element} {block}", f"/{ELEMENT_PATHS[element]}/", **body)


def _register_energy_link_factories(direction: str, kind_id: str, kinds: int) -> None:
    def register(element: str) -> None:
        async def make_link(maker: Maker, n: int) -> Row:
            """A new timeseries metering a shared element: each number has its own (element,
            energy, kind) triple, so that the unique constraint holds."""
            owner = await maker.create("/timeseries/", **await timeseries(maker, 6000 + n))
            block, pair = divmod(n, ENERGIES * kinds)
            return {
                f"{element}_id": (await metered(maker, element, block))["id"],
                "energy_id": 1 + pair % ENERGIES,
                kind_id: 1 + pair // ENERGIES,
                "timeseries_id": owner["id"],
            }

        factory(f"/energy_{direction}_timeseries_by_{ELEMENT_PATHS[element]}/")(make_link)

    for element in ("site", "building"):
        register(element)


_register_energy_link_factories("consumption", "end_use_id", END_USES)
_register_energy_link_factories("production", "prod_tech_id", PRODUCTION_TECHNOLOGIES)
