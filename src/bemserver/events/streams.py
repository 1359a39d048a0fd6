"""GET /notifications/stream and GET /events/stream: new rows, live, as Server-Sent Events.

Our addition to the reference API (docs/compatibility.md). Migration 0009 makes every insert into
`notifications` and `events` NOTIFY its channel on commit, whichever server process made it; each
process's listener (db/listen.py) passes the ids on to the streams of that process, which load
the rows through the caller's read rule and send them as GET /notifications/{id} and
GET /events/{id} would (http/sse.py has the stream protocol: ids, heartbeats, Last-Event-ID).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import StreamingResponse

from bemserver import permissions
from bemserver.auth.caller import Caller, CurrentCaller
from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud.resource import Item, Resource
from bemserver.crud.store import Store
from bemserver.db.driver import as_dicts
from bemserver.db.engine import Session
from bemserver.events import models as m
from bemserver.events.notifications import NOTIFICATIONS
from bemserver.events.resources import EVENTS
from bemserver.http.errors import Forbidden, NotFound
from bemserver.http.fields import ItemId
from bemserver.http.openapi import error_responses
from bemserver.http.sse import MEDIA_TYPE, Feed, LoadRows, stream_response

# The channels of migration 0009's triggers; the routing key is the user, the campaign.
NOTIFICATIONS_CHANNEL = "bemserver_notifications"
EVENTS_CHANNEL = "bemserver_events"

router = APIRouter()

_STREAM_DOC = (
    "A `text/event-stream` (Server-Sent Events) that stays open. Each new {row} is sent as it "
    "is committed, by whichever server process, as one message: `id:` (the {row} id), "
    "`event: {event}` and `data:` (the {row} as JSON, as its GET returns it). A comment line "
    "`: heartbeat` is sent after `BEMSERVER_STREAM_HEARTBEAT` seconds (15) of quiet. "
    "To resume after a disconnection, send the last id received as the `Last-Event-ID` header "
    "(EventSource clients do it by themselves) or the `last_event_id` query argument: the {row}s "
    "created since are sent first, then the live ones, without gap nor duplicate. "
    "Authentication as every route (`Authorization` header): browsers' EventSource cannot set "
    "headers, so use a fetch-based event-source client there."
)
_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The stream (endless).",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
    },
    **error_responses(401, 403, 422, 503),
}

LastEventIdHeader = Annotated[
    int | None,
    Header(alias="Last-Event-ID", ge=0, le=2**63 - 1, description="The id of the last message received."),
]
LastEventIdQuery = Annotated[
    int | None,
    Query(ge=0, le=2**63 - 1, description="Like the Last-Event-ID header, for clients that cannot set one."),
]


def _loader(resource: Resource, caller: Caller, *scope: ColumnElement[bool]) -> LoadRows:
    """The rows of `resource` the caller may read (within `scope`), shaped as its GET shapes them."""
    store = Store(resource)
    model = resource.model
    readable = [permissions.read_filter(model, caller), *scope]

    async def load(connection: AsyncConnection, ids: list[int] | None, after: int, limit: int) -> list[Item]:
        which = model.id.in_(ids) if ids is not None else model.id > after
        statement = select(*store.columns).where(*readable, which).order_by(model.id).limit(limit)
        rows = as_dicts(await connection.execute(statement))
        return await store.finish(connection, rows)

    return load


def _latest(model: type[Any]) -> Any:
    async def latest(connection: AsyncConnection) -> int:
        return int(await connection.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)

    return latest


def _resume_point(header: int | None, query: int | None) -> int | None:
    return query if query is not None else header


@router.get(
    "/notifications/stream",
    tags=["Notification"],
    operation_id="stream_notifications",
    summary="Live stream of the caller's new notifications (Server-Sent Events)",
    description=_STREAM_DOC.format(row="notification", event="notification"),
    response_class=StreamingResponse,
    responses=_STREAM_RESPONSES,
)
async def stream_notifications(
    request: Request,
    caller: CurrentCaller,
    last_event_id: LastEventIdQuery = None,
    last_event_id_header: LastEventIdHeader = None,
) -> StreamingResponse:
    # Only the caller's own, admins included: a stream of everyone's would be another route.
    feed = Feed(
        channel=NOTIFICATIONS_CHANNEL,
        event="notification",
        load=_loader(NOTIFICATIONS, caller, m.Notification.user_id == caller.id),
        latest=_latest(m.Notification),
        key=caller.id,
    )
    return await stream_response(
        request,
        feed,
        _resume_point(last_event_id_header, last_event_id),
        request.app.state.settings.stream_heartbeat,
    )


async def _check_campaign(session: Any, caller: Caller, campaign_id: int) -> None:
    """404 for a campaign that does not exist, 403 for one the caller may not read."""
    readable = permissions.read_filter(Campaign, caller).label("readable")
    row = (await session.execute(select(readable).where(Campaign.id == campaign_id))).first()
    if row is None:
        raise NotFound()
    if not row.readable:
        raise Forbidden()


@router.get(
    "/events/stream",
    tags=["Event"],
    operation_id="stream_events",
    summary="Live stream of new events the caller may read (Server-Sent Events)",
    description=_STREAM_DOC.format(row="event", event="event")
    + " With `campaign_id`, only the events of that campaign's scopes.",
    response_class=StreamingResponse,
    responses={**_STREAM_RESPONSES, **error_responses(404)},
)
async def stream_events(
    request: Request,
    session: Session,
    caller: CurrentCaller,
    campaign_id: Annotated[ItemId | None, Query()] = None,
    last_event_id: LastEventIdQuery = None,
    last_event_id_header: LastEventIdHeader = None,
) -> StreamingResponse:
    scope: list[ColumnElement[bool]] = []
    if campaign_id is not None:
        await _check_campaign(session, caller, campaign_id)
        scopes = select(CampaignScope.id).where(CampaignScope.campaign_id == campaign_id)
        scope.append(m.Event.campaign_scope_id.in_(scopes))
    feed = Feed(
        channel=EVENTS_CHANNEL,
        event="event",
        load=_loader(EVENTS, caller, *scope),
        latest=_latest(m.Event),
        key=campaign_id,
    )
    return await stream_response(
        request,
        feed,
        _resume_point(last_event_id_header, last_event_id),
        request.app.state.settings.stream_heartbeat,
    )
