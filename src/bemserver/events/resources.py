"""/event_categories/, /event_categories_by_users/, /events/ and /timeseries_by_events/.

The location links are in links.py, the notifications in notifications.py (tag order).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.crud import Hooks, Resource
from bemserver.crud.nested import both, nested
from bemserver.crud.resource import Item
from bemserver.events import models as m
from bemserver.events import schemas as s
from bemserver.events.counts import NARROWING
from bemserver.events.filters import EVENT_FILTERS, EVENT_REFS
from bemserver.events.quick import create_event
from bemserver.events.service import after_event_insert
from bemserver.http.errors import Unprocessable
from bemserver.settings import Settings
from bemserver.timeseries.models import Timeseries
from bemserver.users.models import User

EVENT_CATEGORIES = Resource(
    "/event_categories/",
    m.EventCategory,
    s.EventCategory,
    tag="EventCategory",
    name="event_category",
    create=s.EventCategoryWrite,
    update=s.EventCategoryWrite,
)

EVENT_CATEGORIES_BY_USERS = Resource(
    "/event_categories_by_users/",
    m.EventCategoryByUser,
    s.EventCategoryByUser,
    tag="EventCategoryByUser",
    name="event_category_by_user",
    create=s.EventCategoryByUserWrite,
    update=s.EventCategoryByUserPut,
    filters=s.EventCategoryByUserFilters,
    refs={"user_id": User, "category_id": m.EventCategory},
)


async def _after_event_insert(session: AsyncSession, _: Caller, event: Item, settings: Settings) -> None:
    await after_event_insert(session, settings, event)


EVENTS = Resource(
    "/events/",
    m.Event,
    s.Event,
    tag="Event",
    name="event",
    create=s.EventWrite,
    update=s.EventPut,
    filters=s.EventFilters,
    sort=("timestamp", "level"),
    paginate=True,
    custom_filters=EVENT_FILTERS,
    placeholder_filters=True,
    refs=EVENT_REFS,
    hooks=Hooks(after_create=_after_event_insert, narrow=NARROWING, quick_create=create_event),
)

SAME_SCOPE = "Event and timeseries must be in same campaign scope"


async def _same_scope(session: AsyncSession, _: Caller, values: Item, __: Item | None) -> Item:
    """422 when the timeseries and the event are in different campaign scopes."""
    scopes = (
        await session.execute(
            select(
                select(Timeseries.campaign_scope_id)
                .where(Timeseries.id == values["timeseries_id"])
                .scalar_subquery(),
                select(m.Event.campaign_scope_id).where(m.Event.id == values["event_id"]).scalar_subquery(),
            )
        )
    ).one()
    # Unknown ids are left to the foreign keys (409).
    if None not in scopes and scopes[0] != scopes[1]:
        raise Unprocessable(errors={"json": {"_schema": [SAME_SCOPE]}})
    return values


TIMESERIES_BY_EVENTS = Resource(
    "/timeseries_by_events/",
    m.TimeseriesByEvent,
    s.TimeseriesByEvent,
    tag="TimeseriesByEvent",
    name="timeseries_by_event",
    create=s.TimeseriesByEventWrite,
    filters=s.TimeseriesByEventFilters,
    etag=False,
    paginate=True,
    refs={"event_id": m.Event, "timeseries_id": Timeseries},
    hooks=Hooks(
        enrich=both(
            nested(Timeseries, s.TimeseriesExcludeId, "timeseries_id", "timeseries"),
            nested(m.Event, s.EventExcludeId, "event_id", "event"),
        ),
        before_write=_same_scope,
    ),
)

RESOURCES = (EVENT_CATEGORIES, EVENT_CATEGORIES_BY_USERS, EVENTS, TIMESERIES_BY_EVENTS)
