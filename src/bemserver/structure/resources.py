"""/sites/ … /zones/, /structural_element_properties/, /<elem>_properties/ and /<elem>_property_data/."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from bemserver.campaigns.models import Campaign
from bemserver.crud import Resource
from bemserver.structure import models as m
from bemserver.structure import schemas as s
from bemserver.structure.properties import element_property_hooks, property_data_hooks

# -- relation filters: elements below a campaign, site or building ---------------------------------


def _sites_of_campaign(campaign_id: int) -> Any:
    return select(m.Site.id).where(m.Site.campaign_id == campaign_id)


def _buildings_where(condition: ColumnElement[bool]) -> Any:
    return select(m.Building.id).where(condition)


def _storeys_where(condition: ColumnElement[bool]) -> Any:
    return select(m.Storey.id).where(condition)


def _building_filters(column: Any) -> dict[str, Any]:
    """campaign_id on a table whose parent is a building's site (buildings themselves)."""
    return {"campaign_id": lambda value: column.in_(_sites_of_campaign(value))}


def _storey_filters(building_id: Any) -> dict[str, Any]:
    return {
        "campaign_id": lambda value: building_id.in_(
            _buildings_where(m.Building.site_id.in_(_sites_of_campaign(value)))
        ),
        "site_id": lambda value: building_id.in_(_buildings_where(m.Building.site_id == value)),
    }


def _space_filters(storey_id: Any) -> dict[str, Any]:
    def below_buildings(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return storey_id.in_(_storeys_where(m.Storey.building_id.in_(_buildings_where(condition))))

    return {
        "campaign_id": lambda value: below_buildings(m.Building.site_id.in_(_sites_of_campaign(value))),
        "site_id": lambda value: below_buildings(m.Building.site_id == value),
        "building_id": lambda value: storey_id.in_(_storeys_where(m.Storey.building_id == value)),
    }


# -- the elements --------------------------------------------------------------------------------

SITES = Resource(
    "/sites/",
    m.Site,
    s.Site,
    tag="Site",
    name="site",
    create=s.SiteWrite,
    update=s.SitePut,
    filters=s.SiteFilters,
    sort=("name",),
    refs={"campaign_id": Campaign},
)

BUILDINGS = Resource(
    "/buildings/",
    m.Building,
    s.Building,
    tag="Building",
    name="building",
    create=s.BuildingWrite,
    update=s.BuildingPut,
    filters=s.BuildingFilters,
    sort=("name",),
    custom_filters=_building_filters(m.Building.site_id),
    refs={"campaign_id": Campaign, "site_id": m.Site},
)

STOREYS = Resource(
    "/storeys/",
    m.Storey,
    s.Storey,
    tag="Storey",
    name="storey",
    create=s.StoreyWrite,
    update=s.StoreyPut,
    filters=s.StoreyFilters,
    sort=("name",),
    custom_filters=_storey_filters(m.Storey.building_id),
    refs={"campaign_id": Campaign, "site_id": m.Site, "building_id": m.Building},
)

SPACES = Resource(
    "/spaces/",
    m.Space,
    s.Space,
    tag="Space",
    name="space",
    create=s.SpaceWrite,
    update=s.SpacePut,
    filters=s.SpaceFilters,
    sort=("name",),
    custom_filters=_space_filters(m.Space.storey_id),
    refs={"campaign_id": Campaign, "site_id": m.Site, "building_id": m.Building, "storey_id": m.Storey},
)

ZONES = Resource(
    "/zones/",
    m.Zone,
    s.Zone,
    tag="Zone",
    name="zone",
    create=s.ZoneWrite,
    update=s.ZonePut,
    filters=s.ZoneFilters,
    sort=("name",),
    refs={"campaign_id": Campaign},
)

STRUCTURAL_ELEMENT_PROPERTIES = Resource(
    "/structural_element_properties/",
    m.StructuralElementProperty,
    s.StructuralElementProperty,
    tag="StructuralElementProperty",
    name="structural_element_property",
    create=s.StructuralElementPropertyWrite,
    update=s.StructuralElementPropertyPut,
    filters=s.StructuralElementPropertyFilters,
    sort=("name",),
)

# -- per element type: enabled properties and property values -------------------------------------

ELEMENTS: dict[str, tuple[type[Any], type[Any], type[Any]]] = {
    # element: (element model, <elem>_properties model, <elem>_property_data model)
    "site": (m.Site, m.SiteProperty, m.SitePropertyData),
    "building": (m.Building, m.BuildingProperty, m.BuildingPropertyData),
    "storey": (m.Storey, m.StoreyProperty, m.StoreyPropertyData),
    "space": (m.Space, m.SpaceProperty, m.SpacePropertyData),
    "zone": (m.Zone, m.ZoneProperty, m.ZonePropertyData),
}


def _element_resources(element: str) -> tuple[Resource, Resource]:
    element_model, property_model, data_model = ELEMENTS[element]
    docs = s.element_property_schemas(element)
    title = element.capitalize()
    properties = Resource(
        f"/{element}_properties/",
        property_model,
        docs.property_read,
        tag=f"{title}Property",
        name=f"{element}_property",
        create=docs.property_write,
        filters=s.ElementPropertyFilters,
        refs={"structural_element_property_id": m.StructuralElementProperty},
        etag=False,
        hooks=element_property_hooks(),
    )
    # PUT takes the whole document, as in the reference; the two ids must stay unchanged.
    data = Resource(
        f"/{element}_property_data/",
        data_model,
        docs.data_read,
        tag=f"{title}PropertyData",
        name=f"{element}_property_data",
        create=docs.data_write,
        update=docs.data_write,
        filters=docs.data_filters,
        refs={f"{element}_id": element_model, f"{element}_property_id": property_model},
        immutable=(f"{element}_id", f"{element}_property_id"),
        hooks=property_data_hooks(element, property_model),
    )
    return properties, data


_PER_ELEMENT = {element: _element_resources(element) for element in ELEMENTS}

# The reference's tag order: elements, properties, enabled properties, then property values.
RESOURCES = (
    SITES,
    BUILDINGS,
    STOREYS,
    SPACES,
    ZONES,
    STRUCTURAL_ELEMENT_PROPERTIES,
    *(properties for properties, _ in _PER_ELEMENT.values()),
    *(data for _, data in _PER_ELEMENT.values()),
)
