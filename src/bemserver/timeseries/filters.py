"""List filters of /timeseries/ beyond its own columns: locations, users, events, property values.

Each filter is one `timeseries.id IN (subquery)` (or a scope condition), so any combination stays a
single SQL statement: the page, its count and every filter in one round trip.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import PlainValidator, TypeAdapter, WithJsonSchema
from sqlalchemy import ColumnElement, and_, select, true

from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud.resource import FilterFn
from bemserver.http.fields import is_utf8
from bemserver.timeseries import models as t
from bemserver.timeseries.links import TIMESERIES_LINKS
from bemserver.timeseries.rules import timeseries_of_user
from bemserver.users.models import User

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


TIMESERIES_FILTERS: dict[str, FilterFn] = {
    "user_id": timeseries_of_user,
    **TIMESERIES_LINKS.location_filters(),  # site_id, recurse_site_id, … space_id, zone_id
    "properties": _with_property_values,
}

# Filters naming an object: the caller must be able to read it (403 otherwise, as in the reference).
TIMESERIES_REFS: dict[str, type[Any]] = {
    "campaign_id": Campaign,
    "campaign_scope_id": CampaignScope,
    "user_id": User,
    **TIMESERIES_LINKS.location_refs(),
}

# Domains above this one add the filters they own to both dicts when they load (the events domain
# adds `event_id`: events/filters.py), so that this module imports no domain above it.
