"""List filters of /timeseries/ beyond its own columns: locations, users, events, property values.

Each filter is one `timeseries.id IN (subquery)` (or a scope condition), so any combination stays a
single SQL statement: the page, its count and every filter in one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import PlainValidator, TypeAdapter, WithJsonSchema
from sqlalchemy import ColumnElement, Select, and_, false, select, true, union

from bemserver import permissions
from bemserver.http.fields import is_utf8
from bemserver.structure import models as s
from bemserver.timeseries import models as t

# -- the `properties` argument: a JSON object of {property name: value} ---------------------------

_STRING_VALUES = TypeAdapter(dict[str, str])
MAX_PROPERTIES = 16


def _json_object(text: Any) -> dict[str, str]:
    if not isinstance(text, str):
        raise ValueError("Not a valid string.")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        raise ValueError("Not a valid json string.") from None
    if not isinstance(value, dict):
        raise ValueError("Not a valid json object.")
    if len(value) > MAX_PROPERTIES:  # each one joins the property values once more
        raise ValueError(f"At most {MAX_PROPERTIES} properties.")
    # Non-string values are reported under their key: {"properties": {"Min": ["Not a valid string."]}}
    parsed = _STRING_VALUES.validate_python(value)
    if not all(is_utf8(name) and is_utf8(wanted) for name, wanted in parsed.items()):  # "\ud800"
        raise ValueError("Not a valid utf-8 string.")
    return parsed


# Typed Any for FastAPI (a plain query string) and for dumping (a dict once validated).
PropertiesJson = Annotated[
    Any,
    PlainValidator(_json_object),
    WithJsonSchema(
        {
            "type": "string",
            "contentMediaType": "application/json",
            "description": 'A JSON object of property names and values, e.g. {"Min": "0"}: '
            "timeseries having all these property values.",
        }
    ),
]


# -- SQL ------------------------------------------------------------------------------------------

TS_ID = t.Timeseries.id


def _linked_to(link: type[Any], element_fk: str, element_ids: Select[Any] | int) -> Select[Any]:
    """Ids of the timeseries linked to the given element(s) through a timeseries_by_<element> table."""
    column = link.__table__.c[element_fk]
    condition = column.in_(element_ids) if isinstance(element_ids, Select) else column == element_ids
    return select(link.timeseries_id).where(condition)


def _buildings_of_site(site_id: int) -> Select[Any]:
    return select(s.Building.id).where(s.Building.site_id == site_id)


def _storeys_of(buildings: Select[Any]) -> Select[Any]:
    return select(s.Storey.id).where(s.Storey.building_id.in_(buildings))


def _spaces_of(storeys: Select[Any]) -> Select[Any]:
    return select(s.Space.id).where(s.Space.storey_id.in_(storeys))


def _site_or_below(site_id: int) -> ColumnElement[bool]:
    buildings = _buildings_of_site(site_id)
    storeys = _storeys_of(buildings)
    return TS_ID.in_(
        union(
            _linked_to(t.TimeseriesBySite, "site_id", site_id),
            _linked_to(t.TimeseriesByBuilding, "building_id", buildings),
            _linked_to(t.TimeseriesByStorey, "storey_id", storeys),
            _linked_to(t.TimeseriesBySpace, "space_id", _spaces_of(storeys)),
        )
    )


def _building_or_below(building_id: int) -> ColumnElement[bool]:
    storeys = select(s.Storey.id).where(s.Storey.building_id == building_id)
    return TS_ID.in_(
        union(
            _linked_to(t.TimeseriesByBuilding, "building_id", building_id),
            _linked_to(t.TimeseriesByStorey, "storey_id", storeys),
            _linked_to(t.TimeseriesBySpace, "space_id", _spaces_of(storeys)),
        )
    )


def _storey_or_below(storey_id: int) -> ColumnElement[bool]:
    spaces = select(s.Space.id).where(s.Space.storey_id == storey_id)
    return TS_ID.in_(
        union(
            _linked_to(t.TimeseriesByStorey, "storey_id", storey_id),
            _linked_to(t.TimeseriesBySpace, "space_id", spaces),
        )
    )


def _directly(link: type[Any], element_fk: str) -> Callable[[int], ColumnElement[bool]]:
    return lambda element_id: TS_ID.in_(_linked_to(link, element_fk, element_id))


def _with_property_values(wanted: dict[str, str]) -> ColumnElement[bool]:
    """Timeseries having every (property name, value) pair, values compared as stored text."""
    data, prop = t.TimeseriesPropertyData, t.TimeseriesProperty
    conditions = [
        TS_ID.in_(
            select(data.timeseries_id)
            .join(prop, prop.id == data.property_id)
            .where(prop.name == name, data.value == value)
        )
        for name, value in wanted.items()
    ]
    return and_(*conditions) if conditions else true()


def _no_event(_: int) -> ColumnElement[bool]:
    """Events do not exist in this server yet, so no timeseries is linked to one."""
    return false()


TIMESERIES_FILTERS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "user_id": permissions.timeseries_of_user,
    "site_id": _directly(t.TimeseriesBySite, "site_id"),
    "recurse_site_id": _site_or_below,
    "building_id": _directly(t.TimeseriesByBuilding, "building_id"),
    "recurse_building_id": _building_or_below,
    "storey_id": _directly(t.TimeseriesByStorey, "storey_id"),
    "recurse_storey_id": _storey_or_below,
    "space_id": _directly(t.TimeseriesBySpace, "space_id"),
    "zone_id": _directly(t.TimeseriesByZone, "zone_id"),
    "event_id": _no_event,
    "properties": _with_property_values,
}

# Filters naming an object: the caller must be able to read it (403 otherwise, as in the reference).
TIMESERIES_REFS: dict[str, type[Any]] = {
    "site_id": s.Site,
    "recurse_site_id": s.Site,
    "building_id": s.Building,
    "recurse_building_id": s.Building,
    "storey_id": s.Storey,
    "recurse_storey_id": s.Storey,
    "space_id": s.Space,
    "zone_id": s.Zone,
}
