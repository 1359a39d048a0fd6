"""Timeseries metadata: readable by members of the timeseries' campaign scope, written by admins.
Their points (timeseries_data) follow the timeseries."""

from sqlalchemy import ColumnElement

from bemserver.auth.caller import Caller
from bemserver.permissions import (
    everyone,
    read_filter,
    readable_through,
    rule,
    scope_ids_of_user,
    scope_member,
)
from bemserver.timeseries import models as t
from bemserver.timeseries.links import TIMESERIES_LINKS


def rules() -> None:
    rule(t.TimeseriesProperty, everyone)
    rule(t.TimeseriesDataState, everyone)
    rule(t.Timeseries, scope_member(t.Timeseries.campaign_scope_id))
    links = tuple(TIMESERIES_LINKS.tables.values())
    for through_timeseries in (t.TimeseriesPropertyData, t.TimeseriesByDataState, *links):
        rule(through_timeseries, readable_through(through_timeseries.timeseries_id, t.Timeseries))


def timeseries_data_filter(caller: Caller) -> ColumnElement[bool]:
    """Reading or writing points of a timeseries needs membership of its campaign scope."""
    return read_filter(t.Timeseries, caller)


def timeseries_of_user(user_id: int) -> ColumnElement[bool]:
    """The /timeseries/ `user_id` filter: timeseries in a campaign scope linked to a group of that user."""
    return t.Timeseries.campaign_scope_id.in_(scope_ids_of_user(user_id))
