"""Documents of timeseries metadata: properties, data states, timeseries and property values."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, create_model

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import ItemId as Id
from bemserver.structure.links import LocationFilters
from bemserver.structure.schemas import Name, ValueType, exclude_id
from bemserver.timeseries.filters import PropertiesJson
from bemserver.timeseries.links import TIMESERIES_LINKS
from bemserver.units import known_unit

# A unit symbol of the registry that fits the 20-character column (length checked first).
Unit = Annotated[str, Field(max_length=20), AfterValidator(known_unit)]


class TimeseriesProperty(OutputSchema):
    id: int
    name: str
    value_type: ValueType
    unit_symbol: str | None = None
    description: str | None = None


class TimeseriesPropertyPut(InputSchema):
    name: Name
    # Optional but not nullable, as in the reference; absent means no unit.
    unit_symbol: Unit = None  # type: ignore[assignment]
    description: Annotated[str | None, Field(max_length=250)] = None


class TimeseriesPropertyWrite(TimeseriesPropertyPut):
    value_type: ValueType = "string"


class TimeseriesPropertyFilters(FilterSchema):
    name: str | None = None
    value_type: ValueType | None = None
    unit_symbol: str | None = None


class TimeseriesDataState(OutputSchema):
    id: int
    name: str


class TimeseriesDataStateWrite(InputSchema):
    name: Name


class Timeseries(OutputSchema):
    id: int
    name: str
    unit_symbol: str
    description: str | None = None
    campaign_id: int
    campaign_scope_id: int


TimeseriesExcludeId = exclude_id(Timeseries, "The timeseries as nested, read-only, in link documents.")


class TimeseriesPut(InputSchema):
    name: Name
    # Absent means dimensionless (""): a PUT without it resets the unit, as in the reference.
    unit_symbol: Unit = ""
    description: Annotated[str | None, Field(max_length=500)] = None


class TimeseriesWrite(TimeseriesPut):
    campaign_id: Id
    campaign_scope_id: Id


TimeseriesFilters = create_model(
    "TimeseriesFilters",
    __base__=LocationFilters,
    name=(str | None, None),
    in_name=(str | None, None),
    unit_symbol=(str | None, None),
    campaign_id=(Id | None, None),
    campaign_scope_id=(Id | None, None),
    user_id=(Id | None, None),
    **TIMESERIES_LINKS.location_filter_fields(),  # site_id, recurse_site_id, … space_id, zone_id
    event_id=(
        Annotated[
            Id | None,
            Field(description="Timeseries linked to this event."),
        ],
        None,
    ),
    properties=(PropertiesJson | None, None),
)


class TimeseriesPropertyData(OutputSchema):
    id: int
    timeseries_id: int
    property_id: int
    value: str


class TimeseriesPropertyDataWrite(InputSchema):
    timeseries_id: Id
    property_id: Id
    value: Annotated[str, Field(max_length=100)]


class TimeseriesPropertyDataFilters(FilterSchema):
    timeseries_id: Id | None = None
    property_id: Id | None = None
