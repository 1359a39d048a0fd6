"""POST /auth/token and POST /auth/token/refresh: a user account's login (Bearer auth only).

Each login starts a refresh token family (table token_families) whose newest refresh token is
the only one accepted: presenting an older one (a stolen copy, or a replay) deletes the family,
which voids all its tokens, access tokens included. Logins are rate limited (users/throttle.py).
"""

import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import Field

from bemserver.auth.caller import authenticate_with_claims
from bemserver.auth.passwords import hash_password, needs_rehash, password_matches
from bemserver.auth.tokens import encode_token
from bemserver.crud.schemas import InputSchema, OutputSchema
from bemserver.db.driver import fetch_one
from bemserver.db.engine import Connection
from bemserver.http.errors import Forbidden, Unauthorized
from bemserver.http.fields import Email
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes
from bemserver.users import throttle

router = APIRouter(tags=["Authentication"])

_USER = "SELECT id, password, is_active, token_version FROM users WHERE lower(email) = lower(%s)"
_REHASH = "UPDATE users SET password = %s WHERE id = %s RETURNING id"
_NEW_FAMILY = (
    "WITH gone AS (DELETE FROM token_families WHERE user_id = %(user)s AND expires_at < now())"
    " INSERT INTO token_families (id, user_id, current_jti, expires_at)"
    " VALUES (%(family)s, %(user)s, %(jti)s, now() + make_interval(secs => %(lifetime)s)) RETURNING id"
)
# Moves the family to its next member, only if the token presented is its current one.
_ROTATE = (
    "UPDATE token_families SET current_jti = %(new)s,"
    " expires_at = now() + make_interval(secs => %(lifetime)s)"
    " WHERE id = %(family)s AND user_id = %(user)s AND current_jti = %(old)s RETURNING id"
)
_REVOKE = "DELETE FROM token_families WHERE id = %s RETURNING id"


class GetJWTArgs(InputSchema):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=80, json_schema_extra={"writeOnly": True})]


class GetJWTResp(OutputSchema):
    status: Literal["success", "failure"]
    access_token: str | None = None
    refresh_token: str | None = None


def _tokens(request: Request, user_id: int, version: int, family: str, jti: str) -> JSONBytes:
    settings, secret = request.app.state.settings, request.app.state.secret_key
    access = encode_token(secret, user_id, version, "access", settings.access_token_lifetime, family)
    refresh = encode_token(secret, user_id, version, "refresh", settings.refresh_token_lifetime, family, jti)
    return JSONBytes({"status": "success", "access_token": access, "refresh_token": refresh})


async def _new_family(request: Request, connection: Connection, user_id: int, version: int) -> JSONBytes:
    family, jti = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    lifetime = request.app.state.settings.refresh_token_lifetime
    await fetch_one(
        connection,
        _NEW_FAMILY,
        {"family": family, "user": user_id, "jti": jti, "lifetime": lifetime},
    )
    return _tokens(request, user_id, version, family, jti)


@router.post(
    "/auth/token",
    operation_id="get_token",
    summary="Get access and refresh tokens",
    response_model=GetJWTResp,
    responses=error_responses(422, 429),
)
async def get_token(request: Request, connection: Connection, body: GetJWTArgs) -> JSONBytes:
    settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    window = settings.login_window
    await throttle.take_attempt(
        connection, body.email, address, settings.login_attempts_per_account,
        settings.login_attempts_per_address, window,
    )  # fmt: skip
    row = await fetch_one(connection, _USER, (body.email,))
    if row is None:
        return JSONBytes({"status": "failure"})
    user_id, password_hash, is_active, version = row
    if not is_active or not await password_matches(password_hash, body.password):
        return JSONBytes({"status": "failure"})
    await throttle.give_back(connection, body.email, address, window)
    if needs_rehash(password_hash):
        await fetch_one(connection, _REHASH, (hash_password(body.password), user_id))
    return await _new_family(request, connection, user_id, version)


@router.post(
    "/auth/token/refresh",
    operation_id="refresh_token",
    summary="Get new tokens from a refresh token",
    response_model=GetJWTResp,
    responses=error_responses(401, 403),
)
async def refresh_token(request: Request, connection: Connection) -> JSONBytes:
    caller, claims = await authenticate_with_claims(request, connection, refresh=True)  # type: ignore[arg-type]
    if not caller.is_active:
        raise Forbidden()
    version = 0 if claims is None else claims.version
    if claims is None:  # Basic credentials: a login
        row = await fetch_one(connection, _USER, (caller.email,))
        version = row[3] if row else 0
        return await _new_family(request, connection, caller.id, version)
    assert claims.family is not None and claims.jti is not None
    jti = secrets.token_urlsafe(16)
    rotated = await fetch_one(
        connection,
        _ROTATE,
        {
            "new": jti,
            "lifetime": request.app.state.settings.refresh_token_lifetime,
            "family": claims.family,
            "user": caller.id,
            "old": claims.jti,
        },
    )
    if rotated is None:  # an older member of the family: reuse, the family is revoked
        await fetch_one(connection, _REVOKE, (claims.family,))
        raise Unauthorized("invalid_token", request.app.state.settings.auth_methods)
    return _tokens(request, caller.id, version, claims.family, jti)
