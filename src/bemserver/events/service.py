"""Creating an event: the row, its notifications and their e-mails, in the caller's transaction.

`create_event` is the one way to add an event from Python. POST /events/ inserts in one statement
built from the same pieces (quick.py: `notifications`, `mail_job`), or, when that cannot answer,
through the generic route, whose after-create hook is `after_event_insert`. Each runs, in the
event's transaction: one statement inserting the notifications (an INSERT … SELECT, whatever the
number of users) and, when mail is on, one job sending their e-mails (mailing.py); then the
`AFTER_INSERT` hooks (quick.py leaves events to the generic route while there are any).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Insert,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.campaigns.models import CampaignScope
from bemserver.crud.resource import Item
from bemserver.db.prepared import Prepared
from bemserver.events import mailing
from bemserver.events import models as m
from bemserver.jobs.enqueue import deferred
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


def _wants(told_by_default: bool) -> ColumnElement[bool]:
    """The level rule: a user's own level for the category if set, else WARNING and above."""
    preference = m.EventCategoryByUser
    own_level = preference.notification_level <= cast(bindparam("level", type_=String), m.EVENT_LEVEL)
    if told_by_default:
        return or_(preference.id.is_(None), own_level)
    return own_level


def notifications(told_by_default: bool, event: Any = None) -> Insert:
    """The INSERT of the notifications of the eligible users: the members of the event's scope
    whose level rule lets it through. `event`: a CTE of the inserted event (its `id`), else the
    `event_id` value."""
    preference, n = m.EventCategoryByUser, m.Notification
    scope = bindparam("scope_id", type_=Integer)
    event_id = bindparam("event_id", type_=Integer) if event is None else event.c.id
    campaign = select(CampaignScope.campaign_id).where(CampaignScope.id == scope)
    users = User.__table__.outerjoin(
        preference,
        and_(
            preference.user_id == User.id,
            preference.category_id == bindparam("category_id", type_=Integer),
        ),
    )
    eligible = (
        select(User.id, event_id, campaign.scalar_subquery(), func.now())
        .select_from(users)
        .where(User.id.in_(user_ids_of_scope(scope)), _wants(told_by_default))
    )
    return insert(n).from_select(
        [n.user_id, n.event_id, n.campaign_id, n.timestamp], eligible, include_defaults=False
    )


def mail_job(notified: Any, event_id: Any) -> Select[Any]:
    """One job sending the e-mails of the notifications just made, if there are any (mailing.py)."""
    arguments = func.jsonb_build_object("event_id", event_id, "last_id", func.max(notified.c.id))
    return select(deferred(mailing.TASK, arguments)).having(func.count() > 0)


def _fan_out(told_by_default: bool, mail: bool) -> Executable:
    """One statement: the notifications and, with mail, the job sending their e-mails."""
    inserted = notifications(told_by_default)
    if not mail:
        return inserted
    notified = inserted.returning(m.Notification.id).cte("notified")
    return mail_job(notified, bindparam("event_id", type_=Integer))


_FAN_OUTS: dict[tuple[bool, bool], Prepared | None] = {}


async def notify(session: AsyncSession, event: Item, mail: bool = False) -> None:
    """One notification per eligible user, and with `mail` their e-mails queued: one statement,
    whatever the number of users (compiled once per shape, run on the driver)."""
    told_by_default = at_least(event["level"], DEFAULT_NOTIFICATION_LEVEL)
    key = (told_by_default, mail)
    if key not in _FAN_OUTS:
        _FAN_OUTS[key] = Prepared.compile(_fan_out(*key))
    prepared = _FAN_OUTS[key]
    assert prepared is not None  # no expanding parameters in it
    values = {
        "event_id": event["id"],
        "scope_id": event["campaign_scope_id"],
        "category_id": event["category_id"],
        "level": event["level"],
    }
    await prepared.run(session, values)


async def after_event_insert(session: AsyncSession, settings: Settings, event: Item) -> None:
    """Everything a new event brings, in its transaction: notifications, e-mails, extensions."""
    await notify(session, event, mail=mail_enabled(settings))
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
