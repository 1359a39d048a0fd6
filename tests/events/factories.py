"""Factories of the events domain: categories, preferences, events, their links, notifications."""

from __future__ import annotations

from tests.campaigns.factories import shared_scope
from tests.factories import Maker, Row, factory
from tests.structure.factories import ELEMENT_PATHS, shared_element
from tests.timeseries.factories import timeseries

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


async def shared_category(maker: Maker) -> Row:
    return await maker.once("event category", "/event_categories/", name="Shared category")


async def event_body(maker: Maker, n: int, level: str = "INFO") -> Row:
    """An event of the shared scope (INFO: nobody without a preference is notified)."""
    return {
        "timestamp": f"2020-01-01T{n % 24:02d}:00:00+00:00",
        "level": level,
        "campaign_scope_id": (await shared_scope(maker))["id"],
        "category_id": (await shared_category(maker))["id"],
        "source": f"Source {n}",
        "description": f"Event {n}",
    }


@factory("/event_categories/")
async def event_category(maker: Maker, n: int) -> Row:
    return {"name": f"Category {n}", "description": f"C {n}"}


@factory("/event_categories_by_users/")
async def event_category_by_user(maker: Maker, n: int) -> Row:
    """The active user's level for a new category."""
    category = await maker.create("/event_categories/", name=f"Preferred category {n}")
    return {
        "notification_level": LEVELS[n % 5],
        "user_id": maker.users.active.id,
        "category_id": category["id"],
    }


@factory("/events/", unique=False)
async def event(maker: Maker, n: int) -> Row:
    return await event_body(maker, n)


@factory("/timeseries_by_events/")
async def timeseries_by_event(maker: Maker, n: int) -> Row:
    """A new event and a new timeseries, both of the shared scope."""
    owner = await maker.create("/events/", **await event_body(maker, 3000 + n))
    series = await maker.create("/timeseries/", **await timeseries(maker, 3000 + n))
    return {"timeseries_id": series["id"], "event_id": owner["id"]}


def _register_event_link_factory(element: str) -> None:
    async def make_link(maker: Maker, n: int) -> Row:
        """A new event of the shared scope linked to the shared element of that type."""
        owner = await maker.create("/events/", **await event_body(maker, 4000 + n))
        return {"event_id": owner["id"], f"{element}_id": (await shared_element(maker, element))["id"]}

    factory(f"/events_by_{ELEMENT_PATHS[element]}/")(make_link)


for _element in ELEMENT_PATHS:
    _register_event_link_factory(_element)


@factory("/notifications/", unique=False)
async def notification(maker: Maker, n: int) -> Row:
    """A notification of the active user about a new event (made by an admin)."""
    owner = await maker.create("/events/", **await event_body(maker, 5000 + n))
    return {
        "user_id": maker.users.active.id,
        "event_id": owner["id"],
        "timestamp": "2020-01-02T00:00:00+00:00",
        "read": False,
    }
