"""/sites/ … /zones/, /structural_element_properties/, /<elem>_properties/, /<elem>_property_data/:
per element type of the building tree, its element, enabled-properties and property-values resources.
"""

from __future__ import annotations

from bemserver.campaigns.models import Campaign
from bemserver.crud import Resource
from bemserver.structure import models as m
from bemserver.structure import schemas as s
from bemserver.structure import tree
from bemserver.structure.properties import element_property_hooks, property_data_hooks


def _element_resource(element: tree.Element) -> Resource:
    """/sites/ … /zones/; the ancestors above the parent are list filters too (site_id of /storeys/)."""
    return Resource(
        f"/{element.plural}/",
        element.model,
        element.schemas.read,
        tag=element.title,
        name=element.name,
        create=element.schemas.write,
        update=element.schemas.put,
        filters=element.schemas.filters,
        sort=("name",),
        custom_filters=tree.descendant_filters(element),
        refs={"campaign_id": Campaign, **{ancestor.key: ancestor.model for ancestor in element.ancestors}},
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


def _property_resources(element: tree.Element) -> tuple[Resource, Resource]:
    """/<elem>_properties/ (the properties enabled for the type) and /<elem>_property_data/ (values)."""
    name, title, property_model = element.name, element.title, element.property_model
    docs = s.element_property_schemas(name)
    properties = Resource(
        f"/{name}_properties/",
        property_model,
        docs.property_read,
        tag=f"{title}Property",
        name=f"{name}_property",
        create=docs.property_write,
        filters=s.ElementPropertyFilters,
        refs={"structural_element_property_id": m.StructuralElementProperty},
        etag=False,
        hooks=element_property_hooks(),
    )
    # PUT takes the whole document, as in the reference; the two ids must stay unchanged.
    data = Resource(
        f"/{name}_property_data/",
        element.property_data_model,
        docs.data_read,
        tag=f"{title}PropertyData",
        name=f"{name}_property_data",
        create=docs.data_write,
        update=docs.data_write,
        filters=docs.data_filters,
        refs={element.key: element.model, f"{name}_property_id": property_model},
        immutable=(element.key, f"{name}_property_id"),
        hooks=property_data_hooks(name, property_model),
    )
    return properties, data


_PROPERTIES = [_property_resources(element) for element in tree.ELEMENTS]

# The reference's tag order: elements, properties, enabled properties, then property values.
RESOURCES = (
    *(_element_resource(element) for element in tree.ELEMENTS),
    STRUCTURAL_ELEMENT_PROPERTIES,
    *(properties for properties, _ in _PROPERTIES),
    *(data for _, data in _PROPERTIES),
)
