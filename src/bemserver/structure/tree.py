"""The building tree, described once: site -> building -> storey -> space, and zones.

Each `Element` names its table, its parent (None under a campaign) and its property tables; its
documents, nested link documents, campaign SQL, list filters and permission parent follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, select

from bemserver.structure import models as m
from bemserver.structure import schemas as s


@dataclass(frozen=True, eq=False)
class Element:
    """One kind of structural element, e.g. `SITE`."""

    name: str  # "site": links' `site_id`, nested documents' key, messages
    model: type[Any]
    parent: Element | None  # None: the element belongs to a campaign directly
    property_model: type[Any]  # <name>_properties: the properties enabled for this kind of element
    property_data_model: type[Any]  # <name>_property_data: the elements' property values
    has_position: bool = False  # sites have a latitude and a longitude

    @property
    def key(self) -> str:
        """`site_id`: the column naming an element of this kind in other tables."""
        return f"{self.name}_id"

    @property
    def title(self) -> str:
        """`Site`: in component names, tags, CSV column names and messages."""
        return self.name.capitalize()

    @property
    def plural(self) -> str:
        """`sites`: in paths and CSV form fields."""
        return f"{self.name}s"

    @property
    def parent_fk(self) -> str:
        """The column to the parent: `campaign_id` at the top, `site_id` on buildings..."""
        return "campaign_id" if self.parent is None else self.parent.key

    @property
    def parent_column(self) -> Any:
        return getattr(self.model, self.parent_fk)

    @cached_property
    def chain(self) -> tuple[Element, ...]:
        """This element and its ancestors, top first: (SITE, BUILDING, STOREY) for STOREY."""
        return (*self.parent.chain, self) if self.parent is not None else (self,)

    @property
    def ancestors(self) -> tuple[Element, ...]:
        return self.chain[:-1]

    @cached_property
    def schemas(self) -> s.ElementSchemas:
        """The documents of /<plural>/; the list is filtered by campaign and by each ancestor."""
        filter_keys = ["campaign_id", *(ancestor.key for ancestor in self.ancestors)]
        return s.element_schemas(self.title, self.parent_fk, filter_keys, position=self.has_position)

    @cached_property
    def nested(self) -> type[BaseModel]:
        """The element as nested, read-only, in link documents: its read document without `id`."""
        return s.exclude_id(self.schemas.read)


SITE = Element("site", m.Site, None, m.SiteProperty, m.SitePropertyData, has_position=True)
BUILDING = Element("building", m.Building, SITE, m.BuildingProperty, m.BuildingPropertyData)
STOREY = Element("storey", m.Storey, BUILDING, m.StoreyProperty, m.StoreyPropertyData)
SPACE = Element("space", m.Space, STOREY, m.SpaceProperty, m.SpacePropertyData)
ZONE = Element("zone", m.Zone, None, m.ZoneProperty, m.ZonePropertyData)

ELEMENTS = (SITE, BUILDING, STOREY, SPACE, ZONE)  # the reference's order, parents first
BY_NAME = {element.name: element for element in ELEMENTS}


def element(name: str) -> Element:
    return BY_NAME[name]


def descendants(top: Element) -> tuple[Element, ...]:
    """The elements strictly below `top`, parents first (BUILDING, STOREY, SPACE for SITE)."""
    return tuple(element for element in ELEMENTS if top in element.ancestors)


# Elements with children: /timeseries/ (and /events/) have a recurse_<element>_id filter for each.
WITH_CHILDREN = tuple(element for element in ELEMENTS if any(child.parent is element for child in ELEMENTS))


def parent_link(element: Element) -> tuple[Any, type[Any]] | None:
    """(foreign key column, parent model) for permission inheritance; None under a campaign."""
    if element.parent is None:
        return None
    return element.parent_column, element.parent.model


def ids_under(element: Element, ancestor_key: str, ancestor_id: Any) -> Select[Any]:
    """Ids of the `element` rows below the given ancestor, e.g. (STOREY, "site_id", 3).

    `ancestor_key` is `campaign_id` or an ancestor's key; one nested `IN` per level crossed.
    """
    statement = select(element.model.id)
    if element.parent_fk == ancestor_key:
        return statement.where(element.parent_column == ancestor_id)
    assert element.parent is not None, f"{ancestor_key} is above no {element.name}"
    return statement.where(element.parent_column.in_(ids_under(element.parent, ancestor_key, ancestor_id)))


def descendant_filters(element: Element) -> dict[str, Callable[[Any], ColumnElement[bool]]]:
    """List filters on an ancestor above the parent: `campaign_id` and `site_id` of /storeys/."""
    parent = element.parent
    if parent is None:
        return {}
    keys = ["campaign_id", *(ancestor.key for ancestor in parent.ancestors)]

    def below(key: str) -> Callable[[Any], ColumnElement[bool]]:
        return lambda value: element.parent_column.in_(ids_under(parent, key, value))

    return {key: below(key) for key in keys}


def chain_query(element: Element) -> Select[Any]:
    """SELECT <element>.id AS key, <each chain element's nested document columns AS name__field>
    FROM <element> JOIN its ancestors."""
    columns = [
        element_above.model.__table__.c[field].label(f"{element_above.name}__{field}")
        for element_above in element.chain
        for field in element_above.nested.model_fields
    ]
    statement = select(element.model.id.label("key"), *columns).select_from(element.model)
    for below in reversed(element.chain[1:]):
        assert below.parent is not None
        statement = statement.join(below.parent.model, below.parent.model.id == below.parent_column)
    return statement


def campaign_of(element: Element, element_id: Any) -> Select[Any]:
    """The campaign id of an element (through its site for buildings, storeys and spaces)."""
    top = element.chain[0]
    return chain_query(element).with_only_columns(top.model.campaign_id).where(element.model.id == element_id)
