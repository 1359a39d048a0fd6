"""SQL pieces shared by the tasks: the campaign's timeseries a caller may read, their Raw and
Clean series, and their numeric properties (Min, Max, Interval) read as numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, and_, case, cast, literal_column, select
from sqlalchemy.orm import aliased
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


def _number(value: Any) -> Any:
    return case((value.op("~")(_NUMBER), cast(value, Float)))


def campaign_timeseries(caller: Caller, campaign_id: int, *properties: str) -> Subquery:
    """id, name, campaign_scope_id, raw (series id or NULL) and one column per property (as a
    float8, NULL when absent or not a number), of the campaign's timeseries the caller may read.
    Outer joins, not one subquery per timeseries: the planner joins them all at once."""
    t = Timeseries
    raw = aliased(TimeseriesByDataState)
    statement = (
        select(t.id, t.name, t.campaign_scope_id, raw.id.label("raw"))
        .select_from(t)
        .outerjoin(raw, and_(raw.timeseries_id == t.id, raw.data_state_id == data_state_id(RAW)))
    )
    for name in properties:
        found = aliased(TimeseriesPropertyData)
        property_id = select(TimeseriesProperty.id).where(TimeseriesProperty.name == name).scalar_subquery()
        statement = statement.outerjoin(
            found, and_(found.timeseries_id == t.id, found.property_id == property_id)
        ).add_columns(_number(found.value).label(name.lower()))
    return statement.where(and_(t.campaign_id == campaign_id, read_filter(t, caller))).subquery("ts")


def valid(value: Any) -> Any:
    """A stored value that is a number (NULL and NaN are no data)."""
    return and_(value.is_not(None), value != literal_column("'NaN'::float8"))
