"""SQL pieces shared by the tasks: the campaign's timeseries a caller may read, their Raw and
Clean series, and their numeric properties (Min, Max, Interval) read as numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, and_, case, cast, literal_column, select
from sqlalchemy.sql import Subquery

from bemserver.auth.caller import Caller
from bemserver.permissions import read_filter
from bemserver.timeseries.models import (
    Timeseries,
    TimeseriesByDataState,
    TimeseriesDataState,
    TimeseriesProperty,
    TimeseriesPropertyData,
)

RAW, CLEAN = "Raw", "Clean"
# A property value PostgreSQL reads as a finite float8; anything else is no bound (NULL).
_NUMBER = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


def data_state_id(name: str) -> Any:
    return select(TimeseriesDataState.id).where(TimeseriesDataState.name == name).scalar_subquery()


def property_number(timeseries_id: Any, name: str) -> Any:
    """The timeseries' property `name` as a float8, NULL when absent or not a number."""
    value = TimeseriesPropertyData.value
    return (
        select(case((value.op("~")(_NUMBER), cast(value, Float))))
        .join(TimeseriesProperty, TimeseriesProperty.id == TimeseriesPropertyData.property_id)
        .where(TimeseriesPropertyData.timeseries_id == timeseries_id, TimeseriesProperty.name == name)
        .scalar_subquery()
    )


def series_of(timeseries_id: Any, state: str) -> Any:
    return (
        select(TimeseriesByDataState.id)
        .where(
            TimeseriesByDataState.timeseries_id == timeseries_id,
            TimeseriesByDataState.data_state_id == data_state_id(state),
        )
        .scalar_subquery()
    )


def campaign_timeseries(caller: Caller, campaign_id: int, *properties: str) -> Subquery:
    """id, name, campaign_scope_id, raw (series id or NULL) and one column per property, of the
    campaign's timeseries the caller may read."""
    t = Timeseries
    columns = [t.id, t.name, t.campaign_scope_id, series_of(t.id, RAW).label("raw")]
    columns += [property_number(t.id, name).label(name.lower()) for name in properties]
    return select(*columns).where(and_(t.campaign_id == campaign_id, read_filter(t, caller))).subquery("ts")


def valid(value: Any) -> Any:
    """A stored value that is a number (NULL and NaN are no data)."""
    return and_(value.is_not(None), value != literal_column("'NaN'::float8"))
