"""Creating an event: the row, its notifications and their e-mails, in the caller's transaction.

`create_event` is the one way to add an event from Python; POST /events/ inserts through the
generic route, whose after-create hook is `after_event_insert`. Both run, in the event's
transaction: one INSERT … SELECT of the notifications (whatever the number of users), one
statement enqueueing an e-mail per notification when mail is on, then the `AFTER_INSERT` hooks
(e.g. a NOTIFY for live streams).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud.resource import Item
from bemserver.events import models as m
from bemserver.jobs.enqueue import enqueue_each
from bemserver.jobs.mail import mail_enabled
from bemserver.permissions import user_ids_of_scope
from bemserver.settings import Settings
from bemserver.users.models import User

# Below this level, only users who asked for the category at that level are told (core §4.3).
DEFAULT_NOTIFICATION_LEVEL = "WARNING"

AfterInsert = Callable[[AsyncSession, Settings, Item], Awaitable[None]]
# Extensions run last in the event's transaction, with the event as its GET returns it.
AFTER_INSERT: list[AfterInsert] = []


def at_least(level: str, minimum: str) -> bool:
    return m.LEVELS.index(level) >= m.LEVELS.index(minimum)


def _wants(event: Item) -> ColumnElement[bool]:
    """The level rule: a user's own level for the category if set, else WARNING and above."""
    preference = m.EventCategoryByUser
    own_level = preference.notification_level <= cast(literal(event["level"]), m.EVENT_LEVEL)
    if at_least(event["level"], DEFAULT_NOTIFICATION_LEVEL):
        return or_(preference.id.is_(None), own_level)
    return own_level


async def notify(session: AsyncSession, event: Item) -> None:
    """One notification per eligible user: the members of the event's campaign scope whose level
    rule lets the event through. One INSERT … SELECT."""
    preference = m.EventCategoryByUser
    campaign = select(CampaignScope.campaign_id).where(CampaignScope.id == event["campaign_scope_id"])
    eligible = (
        select(
            User.id,
            literal(event["id"]),
            campaign.scalar_subquery(),
            func.now(),
        )
        .outerjoin(
            preference,
            and_(preference.user_id == User.id, preference.category_id == event["category_id"]),
        )
        .where(User.id.in_(user_ids_of_scope(event["campaign_scope_id"])), _wants(event))
    )
    n = m.Notification
    await session.execute(
        insert(n).from_select([n.user_id, n.event_id, n.campaign_id, n.timestamp], eligible)
    )


def mail_subject(campaign_name: Any, level: Any, category_name: Any) -> Any:
    """SQL of `[<campaign name>] <LEVEL>: <category name>`."""
    return func.concat("[", campaign_name, "] ", cast(level, String), ": ", category_name)


async def enqueue_mails(session: AsyncSession, event_id: int) -> int:
    """One `send_mail` job per notification of the event, in one statement."""
    n, event = m.Notification, m.Event
    arguments = (
        select(
            func.jsonb_build_object(
                "to",
                func.jsonb_build_array(User.email),
                "subject",
                mail_subject(Campaign.name, event.level, m.EventCategory.name),
                "body",
                func.coalesce(event.description, ""),
                type_=JSONB,
            )
        )
        .select_from(n)
        .join(User, User.id == n.user_id)
        .join(event, event.id == n.event_id)
        .join(Campaign, Campaign.id == n.campaign_id)
        .join(m.EventCategory, m.EventCategory.id == event.category_id)
        .where(n.event_id == event_id)
        .order_by(n.id)
    )
    return await enqueue_each(session, "send_mail", arguments)


async def after_event_insert(session: AsyncSession, settings: Settings, event: Item) -> None:
    """Everything a new event brings, in its transaction: notifications, e-mails, extensions."""
    await notify(session, event)
    if mail_enabled(settings):
        await enqueue_mails(session, event["id"])
    for hook in AFTER_INSERT:
        await hook(session, settings, event)


async def create_event(session: AsyncSession, settings: Settings, values: Item) -> Item:
    """Insert an event (the columns of EventWrite) and do what follows; returns it as GET does."""
    columns = [column for column in m.Event.__table__.c if column.name != "id"]
    row = (
        (await session.execute(insert(m.Event).values(**values).returning(m.Event.id, *columns)))
        .mappings()
        .one()
    )
    event = dict(row)
    await after_event_insert(session, settings, event)
    return event
