"""Factories of the timeseries metadata and of its links to the building model."""

from __future__ import annotations

from tests.campaigns.factories import shared_campaign, shared_scope
from tests.factories import Maker, Row, factory
from tests.structure.factories import ELEMENT_PATHS, shared_element

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
