"""Documents of the building model: elements, properties and property values (reference field order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import ItemId as Id
from bemserver.http.fields import Name
from bemserver.units import UnitSymbol

Description = Annotated[str | None, Field(max_length=500)]
IfcId = Annotated[str | None, Field(max_length=22)]
Latitude = Annotated[float | None, Field(ge=-90, le=90)]
Longitude = Annotated[float | None, Field(ge=-180, le=180)]
ValueType = Literal["integer", "float", "boolean", "string"]
PropertyValue = Annotated[str, Field(max_length=100)]


@dataclass(frozen=True)
class ElementSchemas:
    """The documents of one element type, e.g. Building, BuildingWrite, BuildingPut, BuildingFilters."""

    read: type[BaseModel]
    write: type[BaseModel]  # the POST body, with the parent id
    put: type[BaseModel]  # the PUT body, without it: an element cannot move to another parent
    filters: type[BaseModel]


# A site also has a position, between its name and its description.
POSITION_READ: dict[str, Any] = {"latitude": (float | None, None), "longitude": (float | None, None)}
POSITION_WRITE: dict[str, Any] = {"latitude": (Latitude, None), "longitude": (Longitude, None)}


def element_schemas(
    title: str, parent_fk: str, filter_keys: Sequence[str], *, position: bool = False
) -> ElementSchemas:
    """`filter_keys`: the ids an element type's list is filtered by: campaign_id, then its ancestors'."""
    read = create_model(
        title,
        __base__=OutputSchema,
        id=(int, ...),
        name=(str, ...),
        **(POSITION_READ if position else {}),
        description=(str | None, None),
        ifc_id=(str | None, None),
        **{parent_fk: (int, ...)},
    )
    put = create_model(
        f"{title}Put",
        __base__=InputSchema,
        name=(Name, ...),
        **(POSITION_WRITE if position else {}),
        description=(Description, None),
        ifc_id=(IfcId, None),
    )
    write = create_model(f"{title}Write", __base__=put, **{parent_fk: (Id, ...)})
    filters = create_model(
        f"{title}Filters",
        __base__=FilterSchema,
        name=(str | None, None),
        **{key: (Id | None, None) for key in filter_keys},
        ifc_id=(str | None, None),
    )
    return ElementSchemas(read, write, put, filters)


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
    property_nested = exclude_id(property_read)
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
