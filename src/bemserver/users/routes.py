"""User actions beyond CRUD: /users/{item_id}/set_admin and /set_active."""

from typing import Literal

from fastapi import APIRouter
from sqlalchemy import update
from starlette.responses import Response

from bemserver.auth.caller import CurrentCaller
from bemserver.crud.store import Store
from bemserver.db.engine import Session
from bemserver.http.errors import Forbidden
from bemserver.http.etag import IfMatch, check_if_match, etag_of
from bemserver.http.fields import ItemId
from bemserver.http.openapi import error_responses
from bemserver.users.guard import keep_an_active_admin, void_tokens
from bemserver.users.models import User
from bemserver.users.resources import USERS
from bemserver.users.schemas import BooleanValue

router = APIRouter(tags=["User"])
_REMOVAL = {"is_admin": "demoted", "is_active": "deactivated"}
_users = Store(USERS)


async def _set_flag(
    session: Session,
    caller: CurrentCaller,
    if_match: str,
    item_id: ItemId,
    flag: Literal["is_admin", "is_active"],
    value: bool,
) -> Response:
    await _users.lock(session, item_id)
    item = _users.public(await _users.load(session, caller, item_id))
    check_if_match(if_match, etag_of(_users.body(item)))
    if not caller.is_admin:
        raise Forbidden()
    if not value and item[flag]:
        if item["is_admin"] and item["is_active"]:
            await keep_an_active_admin(session, item_id, _REMOVAL[flag])
        await void_tokens(session, item_id)
    await session.execute(update(User).where(User.id == item_id).values({flag: value}))
    new_item = await _users.fetch(session, item_id)
    return Response(status_code=204, headers={"ETag": etag_of(_users.body(new_item))})


@router.put(
    "/users/{item_id:int}/set_admin",
    status_code=204,
    operation_id="set_user_admin",
    summary="Set or unset a user's admin flag",
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def set_admin(
    session: Session, caller: CurrentCaller, if_match: IfMatch, item_id: ItemId, body: BooleanValue
) -> Response:
    return await _set_flag(session, caller, if_match, item_id, "is_admin", body.value)


@router.put(
    "/users/{item_id:int}/set_active",
    status_code=204,
    operation_id="set_user_active",
    summary="Activate or deactivate a user",
    responses=error_responses(401, 403, 404, 409, 412, 422, 428),
)
async def set_active(
    session: Session, caller: CurrentCaller, if_match: IfMatch, item_id: ItemId, body: BooleanValue
) -> Response:
    return await _set_flag(session, caller, if_match, item_id, "is_active", body.value)
