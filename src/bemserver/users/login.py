"""POST /auth/token and POST /auth/token/refresh: a user account's login (Bearer auth only)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import Field
from sqlalchemy import select

from bemserver.auth.caller import authenticate
from bemserver.auth.passwords import hash_password, needs_rehash, password_matches
from bemserver.auth.tokens import encode_token
from bemserver.crud.schemas import InputSchema, OutputSchema
from bemserver.db.engine import Session
from bemserver.http.errors import Forbidden
from bemserver.http.fields import Email
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes
from bemserver.users.models import User

router = APIRouter(tags=["Authentication"])


class GetJWTArgs(InputSchema):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=80, json_schema_extra={"writeOnly": True})]


class GetJWTResp(OutputSchema):
    status: Literal["success", "failure"]
    access_token: str | None = None
    refresh_token: str | None = None


def _tokens(request: Request, email: str) -> JSONBytes:
    settings, secret = request.app.state.settings, request.app.state.secret_key
    return JSONBytes(
        {
            "status": "success",
            "access_token": encode_token(secret, email, "access", settings.access_token_lifetime),
            "refresh_token": encode_token(secret, email, "refresh", settings.refresh_token_lifetime),
        }
    )


@router.post(
    "/auth/token",
    operation_id="get_token",
    summary="Get access and refresh tokens",
    response_model=GetJWTResp,
    responses=error_responses(422),
)
async def get_token(request: Request, session: Session, body: GetJWTArgs) -> JSONBytes:
    user = (await session.execute(select(User).where(User.email == body.email))).scalar_one_or_none()
    if user is None or not user.is_active or not await password_matches(user.password, body.password):
        return JSONBytes({"status": "failure"})
    if needs_rehash(user.password):
        user.password = hash_password(body.password)
    return _tokens(request, user.email)


@router.post(
    "/auth/token/refresh",
    operation_id="refresh_token",
    summary="Get new tokens from a refresh token",
    response_model=GetJWTResp,
    responses=error_responses(401, 403),
)
async def refresh_token(request: Request, session: Session) -> JSONBytes:
    caller = await authenticate(request, session, refresh=True)
    if not caller.is_active:
        raise Forbidden()
    return _tokens(request, caller.email)
