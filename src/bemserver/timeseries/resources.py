"""/timeseries_properties/, /timeseries_data_states/, /timeseries/ and /timeseries_property_data/."""

from bemserver.crud import Hooks, Resource
from bemserver.timeseries import models as m
from bemserver.timeseries import schemas as s
from bemserver.timeseries.filters import TIMESERIES_FILTERS, TIMESERIES_REFS
from bemserver.timeseries.hooks import scope_in_campaign, value_of_property_type

TIMESERIES_PROPERTIES = Resource(
    "/timeseries_properties/",
    m.TimeseriesProperty,
    s.TimeseriesProperty,
    tag="TimeseriesProperty",
    name="timeseries_property",
    create=s.TimeseriesPropertyWrite,
    update=s.TimeseriesPropertyPut,
    filters=s.TimeseriesPropertyFilters,
    sort=("name",),
)

TIMESERIES_DATA_STATES = Resource(
    "/timeseries_data_states/",
    m.TimeseriesDataState,
    s.TimeseriesDataState,
    tag="TimeseriesDataState",
    name="timeseries_data_state",
    create=s.TimeseriesDataStateWrite,
    update=s.TimeseriesDataStateWrite,
)

TIMESERIES = Resource(
    "/timeseries/",
    m.Timeseries,
    s.Timeseries,
    tag="Timeseries",
    name="timeseries",
    create=s.TimeseriesWrite,
    update=s.TimeseriesPut,
    filters=s.TimeseriesFilters,
    sort=("name",),
    paginate=True,
    custom_filters=TIMESERIES_FILTERS,
    refs=TIMESERIES_REFS,
    hooks=Hooks(before_write=scope_in_campaign),
)

# PUT takes the whole document, as in the reference; the timeseries and the property stay unchanged.
TIMESERIES_PROPERTY_DATA = Resource(
    "/timeseries_property_data/",
    m.TimeseriesPropertyData,
    s.TimeseriesPropertyData,
    tag="TimeseriesPropertyData",
    name="timeseries_property_data",
    create=s.TimeseriesPropertyDataWrite,
    update=s.TimeseriesPropertyDataWrite,
    filters=s.TimeseriesPropertyDataFilters,
    refs={"timeseries_id": m.Timeseries, "property_id": m.TimeseriesProperty},
    immutable=("timeseries_id", "property_id"),
    hooks=Hooks(before_write=value_of_property_type),
)

# The reference's tag order; the location links come later, with the building model (links.py).
RESOURCES = (TIMESERIES_PROPERTIES, TIMESERIES_DATA_STATES, TIMESERIES, TIMESERIES_PROPERTY_DATA)
