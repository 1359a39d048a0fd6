"""Factories of the building model's resources, under the shared campaign."""

from __future__ import annotations

from tests.campaigns.factories import shared_campaign
from tests.factories import Maker, Row, factory

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
