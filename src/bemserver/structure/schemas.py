"""Documents of the building model: elements, properties and property values (reference field order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import ItemId as Id
from bemserver.units import UnitSymbol

Name = Annotated[str, Field(min_length=1, max_length=80)]
Description = Annotated[str | None, Field(max_length=500)]
IfcId = Annotated[str | None, Field(max_length=22)]
Latitude = Annotated[float | None, Field(ge=-90, le=90)]
Longitude = Annotated[float | None, Field(ge=-180, le=180)]
ValueType = Literal["integer", "float", "boolean", "string"]
PropertyValue = Annotated[str, Field(max_length=100)]

# -- sites, buildings, storeys, spaces, zones ------------------------------------------------------
# Each element has a read schema, a POST body (with the parent id) and a PUT body without it:
# an element cannot move to another parent.


class Site(OutputSchema):
    id: int
    name: str
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = None
    ifc_id: str | None = None
    campaign_id: int


class SitePut(InputSchema):
    name: Name
    latitude: Latitude = None
    longitude: Longitude = None
    description: Description = None
    ifc_id: IfcId = None


class SiteWrite(SitePut):
    campaign_id: Id


class SiteFilters(FilterSchema):
    name: str | None = None
    campaign_id: Id | None = None
    ifc_id: str | None = None


class ElementPut(InputSchema):
    name: Name
    description: Description = None
    ifc_id: IfcId = None


class Building(OutputSchema):
    id: int
    name: str
    description: str | None = None
    ifc_id: str | None = None
    site_id: int


class BuildingPut(ElementPut):
    pass


class BuildingWrite(ElementPut):
    site_id: Id


class BuildingFilters(FilterSchema):
    name: str | None = None
    campaign_id: Id | None = None
    site_id: Id | None = None
    ifc_id: str | None = None


class Storey(OutputSchema):
    id: int
    name: str
    description: str | None = None
    ifc_id: str | None = None
    building_id: int


class StoreyPut(ElementPut):
    pass


class StoreyWrite(ElementPut):
    building_id: Id


class StoreyFilters(FilterSchema):
    name: str | None = None
    campaign_id: Id | None = None
    site_id: Id | None = None
    building_id: Id | None = None
    ifc_id: str | None = None


class Space(OutputSchema):
    id: int
    name: str
    description: str | None = None
    ifc_id: str | None = None
    storey_id: int


class SpacePut(ElementPut):
    pass


class SpaceWrite(ElementPut):
    storey_id: Id


class SpaceFilters(FilterSchema):
    name: str | None = None
    campaign_id: Id | None = None
    site_id: Id | None = None
    building_id: Id | None = None
    storey_id: Id | None = None
    ifc_id: str | None = None


class Zone(OutputSchema):
    id: int
    name: str
    description: str | None = None
    ifc_id: str | None = None
    campaign_id: int


class ZonePut(ElementPut):
    pass


class ZoneWrite(ElementPut):
    campaign_id: Id


class ZoneFilters(FilterSchema):
    name: str | None = None
    campaign_id: Id | None = None
    ifc_id: str | None = None


# -- structural element properties -----------------------------------------------------------------


class StructuralElementProperty(OutputSchema):
    id: int
    name: str
    value_type: ValueType
    unit_symbol: str | None = None
    description: str | None = None


class StructuralElementPropertyPut(InputSchema):
    name: Name
    # Optional but not nullable, as in the reference; absent means no unit.
    unit_symbol: UnitSymbol = None  # type: ignore[assignment]
    description: Description = None


class StructuralElementPropertyWrite(StructuralElementPropertyPut):
    value_type: ValueType = "string"


class StructuralElementPropertyFilters(FilterSchema):
    name: str | None = None
    value_type: ValueType | None = None
    unit_symbol: str | None = None


def exclude_id(read: type[BaseModel], doc: str | None = None) -> type[BaseModel]:
    """`<Read>ExcludeId`: a read document without its id, as nested read-only in other documents."""
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in read.model_fields.items() if name != "id"
    }
    return create_model(f"{read.__name__}ExcludeId", __base__=OutputSchema, __doc__=doc, **fields)


StructuralElementPropertyExcludeId = exclude_id(
    StructuralElementProperty, "The property as nested, read-only, in the element property documents."
)


# -- per element type: the enabled properties (<elem>_properties) and the values (<elem>_property_data)


class ElementPropertyWrite(InputSchema):
    structural_element_property_id: Id


class ElementPropertyFilters(FilterSchema):
    structural_element_property_id: Id | None = None


@dataclass(frozen=True)
class ElementPropertySchemas:
    """The documents of one element type's properties and property values, e.g. for "site"."""

    property_read: type[BaseModel]
    property_write: type[BaseModel]
    property_nested: type[BaseModel]
    data_read: type[BaseModel]
    data_write: type[BaseModel]
    data_filters: type[BaseModel]


def element_property_schemas(element: str) -> ElementPropertySchemas:
    title = element.capitalize()
    nested_property: Any = (StructuralElementPropertyExcludeId | None, None)
    property_read = create_model(
        f"{title}Property",
        __base__=OutputSchema,
        id=(int, ...),
        structural_element_property=nested_property,
        structural_element_property_id=(int, ...),
    )
    property_write = create_model(f"{title}PropertyWrite", __base__=ElementPropertyWrite)
    property_nested = create_model(
        f"{title}PropertyExcludeId",
        __base__=OutputSchema,
        structural_element_property=nested_property,
        structural_element_property_id=(int, ...),
    )
    data_read = create_model(
        f"{title}PropertyData",
        __base__=OutputSchema,
        id=(int, ...),
        **{
            f"{element}_property": (property_nested | None, None),
            f"{element}_id": (int, ...),
            f"{element}_property_id": (int, ...),
        },
        value=(str, ...),
    )
    data_write = create_model(
        f"{title}PropertyDataWrite",
        __base__=InputSchema,
        **{f"{element}_id": (Id, ...), f"{element}_property_id": (Id, ...)},
        value=(PropertyValue, ...),
    )
    data_filters = create_model(
        f"{title}PropertyDataFilters",
        __base__=FilterSchema,
        **{f"{element}_id": (Id | None, None), f"{element}_property_id": (Id | None, None)},
    )
    return ElementPropertySchemas(
        property_read, property_write, property_nested, data_read, data_write, data_filters
    )
