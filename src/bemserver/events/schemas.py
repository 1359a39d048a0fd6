"""Documents of events, their categories, per-user levels, timeseries links and notifications."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, create_model

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.events.links import EVENT_LINKS
from bemserver.http.fields import AwareDT
from bemserver.http.fields import ItemId as Id
from bemserver.structure.links import LocationFilters
from bemserver.structure.schemas import exclude_id
from bemserver.timeseries.schemas import TimeseriesExcludeId

Level = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# -- categories ------------------------------------------------------------------------------------


class EventCategory(OutputSchema):
    id: int
    name: str
    description: str | None = None


class EventCategoryWrite(InputSchema):
    name: Annotated[str, Field(max_length=80)]
    description: Annotated[str | None, Field(max_length=250)] = None


# -- a user's notification level per category ------------------------------------------------------


class EventCategoryByUser(OutputSchema):
    id: int
    notification_level: Level
    user_id: int
    category_id: int


class EventCategoryByUserPut(InputSchema):
    notification_level: Level
    category_id: Id


class EventCategoryByUserWrite(EventCategoryByUserPut):
    user_id: Id


class EventCategoryByUserFilters(FilterSchema):
    category_id: Id | None = None
    user_id: Id | None = None


# -- events ----------------------------------------------------------------------------------------


class Event(OutputSchema):
    id: int
    timestamp: AwareDT
    level: Level
    campaign_scope_id: int
    category_id: int
    source: str
    description: str | None = None


EventExcludeId = exclude_id(Event, "The event as nested, read-only, in link and notification documents.")


class EventPut(InputSchema):
    level: Level
    category_id: Id
    source: str
    description: str | None = None


class EventWrite(InputSchema):
    timestamp: AwareDT
    level: Level
    campaign_scope_id: Id
    category_id: Id
    source: str
    description: str | None = None


EventFilters = create_model(
    "EventFilters",
    __base__=LocationFilters,
    campaign_id=(Id | None, None),
    campaign_scope_id=(Id | None, None),
    user_id=(Id | None, None),
    source=(str | None, None),
    in_source=(str | None, None),
    category_id=(Id | None, None),
    level=(Level | None, None),
    level_min=(Level | None, None),
    timestamp_min=(AwareDT | None, None),
    timestamp_max=(AwareDT | None, None),
    timeseries_id=(Id | None, None),
    **EVENT_LINKS.location_filter_fields(),  # site_id, recurse_site_id, … space_id, zone_id
)


# -- timeseries of an event ------------------------------------------------------------------------


class TimeseriesByEvent(OutputSchema):
    id: int
    timeseries: TimeseriesExcludeId | None = None  # type: ignore[valid-type]
    event: EventExcludeId | None = None  # type: ignore[valid-type]
    timeseries_id: int
    event_id: int


class TimeseriesByEventWrite(InputSchema):
    timeseries_id: Id
    event_id: Id


class TimeseriesByEventFilters(FilterSchema):
    event_id: Id | None = None
    timeseries_id: Id | None = None


# -- notifications ---------------------------------------------------------------------------------


class Notification(OutputSchema):
    id: int
    event: EventExcludeId | None = None  # type: ignore[valid-type]
    user_id: int
    event_id: int
    timestamp: AwareDT
    read: bool


class NotificationWrite(InputSchema):
    user_id: Id
    event_id: Id
    timestamp: AwareDT
    read: bool = False


class NotificationPut(InputSchema):
    read: bool


class NotificationFilters(FilterSchema):
    user_id: Id | None = None
    event_id: Id | None = None
    campaign_id: Id | None = None
    timestamp_min: AwareDT | None = None
    timestamp_max: AwareDT | None = None
    read: bool | None = None


class NotificationCountForCampaign(OutputSchema):
    campaign_id: int
    campaign_name: str
    count: int


class NotificationCountByCampaign(OutputSchema):
    total: int
    campaigns: list[NotificationCountForCampaign]


class NotificationCountQuery(FilterSchema):
    user_id: Id
    read: bool | None = None


class MarkAllAsReadQuery(FilterSchema):
    user_id: Id
    campaign_id: Id | None = None
