"""/notifications/: a user's notifications, their per-campaign counts, marking them read.

Generic routes, with ETags on reads but no If-Match on PUT (only `read`) nor on DELETE (admins), as
in the reference; count_by_campaign and mark_all_as_read are written here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import Boolean, Integer, Numeric, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from bemserver.auth.caller import Caller, CurrentCaller
from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud import Hooks, Resource
from bemserver.crud.nested import nested
from bemserver.crud.resource import Item
from bemserver.crud.store import Store
from bemserver.db.engine import Connection, Session
from bemserver.events import models as m
from bemserver.events import schemas as s
from bemserver.events.counting import COUNTED_BY_CAMPAIGN
from bemserver.http.errors import Conflict, Forbidden, NotFound
from bemserver.http.etag import etag_of, with_etag
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes, dumps
from bemserver.users.models import User

# What an unknown reference answers elsewhere (a foreign key's 409)
UNKNOWN_EVENT = "Foreign key constraint violation"


async def _campaign_of_event(session: AsyncSession, __: Caller, values: Item, current: Item | None) -> Item:
    """A new notification keeps its event's campaign (for the per-campaign counts). Its event is
    locked as a foreign key's check would (there is none, migration 0016): a concurrent deletion
    of the event waits, then deletes this notification too; one that went first leaves a 409."""
    if current is not None:
        return values
    campaign = await session.scalar(
        select(CampaignScope.campaign_id)
        .join(m.Event, m.Event.campaign_scope_id == CampaignScope.id)
        .where(m.Event.id == values["event_id"])
        .with_for_update(key_share=True, of=m.Event)
    )
    if campaign is None:
        raise Conflict(UNKNOWN_EVENT)
    return {**values, "campaign_id": campaign}


NOTIFICATIONS = Resource(
    "/notifications/",
    m.Notification,
    s.Notification,
    tag="Notification",
    name="notification",
    create=s.NotificationWrite,
    update=s.NotificationPut,
    filters=s.NotificationFilters,
    sort=("timestamp",),
    paginate=True,
    if_match=False,
    # Only `user_id` is checked: the list holds the caller's own rows whatever the event or campaign.
    refs={"user_id": User},
    hooks=Hooks(
        enrich=nested(m.Event, s.EventExcludeId, "event_id", "event"),
        before_write=_campaign_of_event,
    ),
)

RESOURCES = (NOTIFICATIONS,)

router = APIRouter(tags=["Notification"])
_store = Store(NOTIFICATIONS)


async def _own_user(session: AsyncSession, caller: Caller, user_id: int) -> None:
    """The counts and marks of a user are theirs (admins: anyone's); 404 for an unknown user."""
    if not caller.is_admin and user_id != caller.id:
        raise Forbidden()
    if caller.is_admin and await session.scalar(select(User.id).where(User.id == user_id)) is None:
        raise NotFound()


@router.get(
    "/notifications/count_by_campaign",
    operation_id="count_notifications_by_campaign",
    summary="Count a user's notifications, by campaign",
    response_model=None,
    responses={200: {"model": s.NotificationCountByCampaign}, **error_responses(401, 403, 404, 422)},
)
async def count_by_campaign(
    request: Request,
    connection: Connection,
    caller: CurrentCaller,
    query: Annotated[s.NotificationCountQuery, Query()],
) -> Response:
    await _own_user(connection, caller, query.user_id)  # type: ignore[arg-type]
    # The kept counts and the pending batches (counting.py): a few rows per user, not one per notification
    counted = text(COUNTED_BY_CAMPAIGN).columns(campaign_id=Integer, read=Boolean, count=Numeric).subquery()
    total = func.sum(counted.c.count).label("count")
    statement = (
        select(counted.c.campaign_id, Campaign.name.label("campaign_name"), total)
        .join(Campaign, Campaign.id == counted.c.campaign_id)
        .group_by(counted.c.campaign_id, Campaign.name)
        .having(total > 0)
        .order_by(counted.c.campaign_id)
    )
    if query.read is not None:
        statement = statement.where(counted.c.read == query.read)
    rows = await connection.execute(statement, {"user_id": query.user_id})
    campaigns = [{**row, "count": int(row["count"])} for row in rows.mappings()]
    payload = dumps({"total": sum(row["count"] for row in campaigns), "campaigns": campaigns})
    return with_etag(request, JSONBytes(payload), etag_of(payload))


@router.put(
    "/notifications/mark_all_as_read",
    status_code=204,
    operation_id="mark_all_notifications_as_read",
    summary="Mark all a user's notifications as read, in one campaign or all",
    responses=error_responses(401, 403, 404, 422),
)
async def mark_all_as_read(
    session: Session, caller: CurrentCaller, query: Annotated[s.MarkAllAsReadQuery, Query()]
) -> Response:
    await _own_user(session, caller, query.user_id)  # type: ignore[arg-type]
    n = m.Notification
    statement = update(n).where(n.user_id == query.user_id, n.read.is_(False)).values(read=True)
    if query.campaign_id is not None:
        statement = statement.where(n.campaign_id == query.campaign_id)
    await session.execute(statement)
    return Response(status_code=204)
