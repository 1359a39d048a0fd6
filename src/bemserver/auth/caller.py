"""The authenticated caller, resolved from the Authorization header on every protected request."""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Boolean, Integer, TextualSelect, text

from bemserver.auth.passwords import password_matches
from bemserver.auth.tokens import TokenClaims, TokenExpired, TokenInvalid, decode_token
from bemserver.db.driver import fetch_one
from bemserver.db.engine import Session
from bemserver.http.errors import ApiError, Forbidden, Unauthorized
from bemserver.http.fast.handlers import request_scoped
from bemserver.http.fields import is_utf8


@dataclass(frozen=True, slots=True)
class Caller:
    id: int
    email: str
    is_admin: bool
    is_active: bool


SYSTEM = Caller(id=0, email="system", is_admin=True, is_active=True)
"""The caller of work that no request starts (background jobs, CLI commands): an admin, and no
user (ids start at 1)."""

# The lookup runs on every authenticated request: plain SQL on the driver connection. It names
# the users domain's tables, whose models sit a layer above (tests/auth checks the names).
USERS_TABLE = "users"
TOKEN_FAMILIES_TABLE = "token_families"
_COLUMNS = "id, email, is_admin, is_active, password, token_version"
# E-mails are unique regardless of case (a unique index on lower(email) serves this lookup).
_BY_EMAIL = f"SELECT {_COLUMNS} FROM {USERS_TABLE} WHERE lower(email) = lower(%s)"
# A token's user `u`, when its version is current and its family (if it names one) not revoked;
# {id}, {version}, {family}: the placeholders of the values of token_values().
_OF_TOKEN = (
    "u.id = {id} AND u.token_version = {version} AND (CAST({family} AS text) IS NULL OR EXISTS"
    f" (SELECT 1 FROM {TOKEN_FAMILIES_TABLE} f WHERE f.id = CAST({{family}} AS text) AND f.user_id = u.id))"
)
_BY_TOKEN = f"SELECT {_COLUMNS} FROM {USERS_TABLE} u WHERE " + _OF_TOKEN.format(
    id="%(caller_id)s", version="%(caller_version)s", family="%(caller_family)s"
)


async def _load_by_email(session: Session, email: str) -> tuple[Caller, str] | None:
    if "\x00" in email or not is_utf8(email):  # text PostgreSQL cannot hold: no such user
        return None
    row = await fetch_one(session, _BY_EMAIL, (unicodedata.normalize("NFC", email.strip()),))
    if row is None:
        return None
    user_id, user_email, is_admin, is_active, password, _ = row
    return Caller(user_id, user_email, is_admin, is_active), password


_SCHEMES = {"bearer": "Bearer", "basic": "Basic"}


async def _load_by_token(session: Session, claims: TokenClaims) -> Caller | None:
    row = await fetch_one(session, _BY_TOKEN, token_values(claims))
    if row is None:
        return None
    user_id, user_email, is_admin, is_active, _, _ = row
    return Caller(user_id, user_email, is_admin, is_active)


async def authenticate_with_claims(
    request: Request, session: Session, *, refresh: bool = False
) -> tuple[Caller, TokenClaims | None]:
    """The caller, and the claims of their token (None with Basic credentials)."""
    settings = request.app.state.settings
    methods: list[str] = settings.auth_methods
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("missing_authentication", methods)
    scheme, sep, credentials = header.partition(" ")
    scheme = _SCHEMES.get(scheme.lower(), scheme)  # case-insensitive (RFC 9110 11.1)
    if not sep:
        raise ApiError(status_code=400)
    if scheme not in methods:
        raise Unauthorized("invalid_scheme", methods)
    if scheme == "Bearer":
        try:
            claims = decode_token(
                request.app.state.secret_key, credentials, "refresh" if refresh else "access"
            )
        except TokenExpired:
            raise Unauthorized("expired_token", methods) from None
        except TokenInvalid:
            raise Unauthorized("invalid_token", methods) from None
        caller = await _load_by_token(session, claims)
        if caller is None:  # deleted user, older token version, revoked family
            raise Unauthorized("invalid_token", methods)
        return caller, claims
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except ValueError:  # not base64 (binascii.Error, non-ASCII text) or not UTF-8
        raise Unauthorized("malformed_credentials", methods) from None
    email, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthorized("malformed_credentials", methods)
    found = await _load_by_email(session, email)
    if found is None or not await password_matches(found[1], password):
        raise Unauthorized("invalid_credentials", methods)
    return found[0], None


def bearer_claims(request: Request) -> TokenClaims | None:
    """The claims of the request's Bearer access token when it is valid and Bearer allowed; else
    None (the caller is then resolved the usual way, which says what is wrong)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or "Bearer" not in request.app.state.settings.auth_methods:
        return None
    try:
        return decode_token(request.app.state.secret_key, credentials, "access")
    except (TokenExpired, TokenInvalid):
        return None


def token_caller() -> TextualSelect:
    """SQL of the active user of a token (`id`, `is_admin`; no row when the token is not current
    or the user inactive), for statements that check their caller themselves: values
    `caller_id`, `caller_version` and `caller_family` from the token's claims."""
    condition = _OF_TOKEN.format(id=":caller_id", version=":caller_version", family=":caller_family")
    return text(f"SELECT u.id, u.is_admin FROM {USERS_TABLE} u WHERE u.is_active AND {condition}").columns(
        id=Integer, is_admin=Boolean
    )


def token_values(claims: TokenClaims) -> dict[str, object]:
    return {"caller_id": claims.user_id, "caller_version": claims.version, "caller_family": claims.family}


async def authenticate(request: Request, session: Session, *, refresh: bool = False) -> Caller:
    return (await authenticate_with_claims(request, session, refresh=refresh))[0]


@request_scoped
async def active_caller(request: Request, session: Session) -> Caller:
    """An authenticated, active user: inactive users get 403 on everything permission-checked."""
    caller = await authenticate(request, session)
    if not caller.is_active:
        raise Forbidden()
    return caller


CurrentCaller = Annotated[Caller, Depends(active_caller)]
