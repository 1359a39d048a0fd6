"""List filters of /events/ beyond its own columns: campaign, user, timeseries and locations.

Each one is a condition on the event's scope or an `events.id IN (subquery)`, so any combination
stays one statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud.resource import FilterFn
from bemserver.events import models as m
from bemserver.events.links import EVENT_LINKS
from bemserver.permissions import scope_ids_of_user
from bemserver.timeseries.filters import TIMESERIES_FILTERS, TIMESERIES_REFS
from bemserver.timeseries.models import Timeseries
from bemserver.users.models import User


def in_campaign(campaign_id: int) -> ColumnElement[bool]:
    return m.Event.campaign_scope_id.in_(
        select(CampaignScope.id).where(CampaignScope.campaign_id == campaign_id)
    )


def of_user(user_id: int) -> ColumnElement[bool]:
    """Events in a campaign scope linked to a group of that user."""
    return m.Event.campaign_scope_id.in_(scope_ids_of_user(user_id))


def of_timeseries(timeseries_id: int) -> ColumnElement[bool]:
    link = m.TimeseriesByEvent
    return m.Event.id.in_(select(link.event_id).where(link.timeseries_id == timeseries_id))


EVENT_FILTERS: dict[str, FilterFn] = {
    "campaign_id": in_campaign,
    "user_id": of_user,
    "timeseries_id": of_timeseries,
    **EVENT_LINKS.location_filters(),  # site_id, recurse_site_id, … space_id, zone_id
}

# Filters naming an object: the caller must be able to read it (403 otherwise).
EVENT_REFS: dict[str, type[Any]] = {
    "campaign_id": Campaign,
    "campaign_scope_id": CampaignScope,
    "user_id": User,
    "category_id": m.EventCategory,
    "timeseries_id": Timeseries,
    **EVENT_LINKS.location_refs(),
}


def _timeseries_of_event(event_id: int) -> ColumnElement[bool]:
    """The /timeseries/ `event_id` filter: timeseries linked to that event (/timeseries_by_events/)."""
    link = m.TimeseriesByEvent
    return Timeseries.id.in_(select(link.timeseries_id).where(link.event_id == event_id))


# The events domain owns the timeseries' `event_id` filter (timeseries/filters.py imports no domain
# above it): the filter and its 403 check join the /timeseries/ list's dicts when this module loads.
TIMESERIES_FILTERS["event_id"] = _timeseries_of_event
TIMESERIES_REFS["event_id"] = m.Event
