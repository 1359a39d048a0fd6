"""The signed-in user of the pages: tokens of the API's JWT flow, kept in HttpOnly cookies.

Choice (docs/ui.md): the access and refresh tokens live in two HttpOnly, SameSite=Strict cookies
scoped to /ui, never in the page's storage, so a script injected into a page cannot read them.
Every page and every /ui/api/ call checks the access token's expiry first and, when it is about to
expire, gets new tokens from POST /auth/token/refresh in-process and sets them on the answer:
the user never sees the refresh. Writes through /ui/api/ must come from our own pages (same
origin, custom header), which with SameSite=Strict closes cross-site request forgery.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import HTTPConnection
from starlette.responses import Response

from bemserver.ui.inprocess import call

ACCESS, REFRESH, CAMPAIGN = "bs_ui_access", "bs_ui_refresh", "bs_ui_campaign"
COOKIE_PATH = "/ui"
MARGIN = 30  # seconds: a token expiring sooner is refreshed first


def _expires(token: str) -> float | None:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return 0.0
    expires = claims.get("exp")
    return float(expires) if isinstance(expires, (int, float)) else None


def usable(token: str | None) -> bool:
    if not token:
        return False
    expires = _expires(token)
    return expires is None or expires > time.time() + MARGIN


@dataclass
class Tokens:
    access: str
    refresh: str
    renewed: bool = False  # new ones, to be set as cookies on the answer


async def current_tokens(connection: HTTPConnection) -> Tokens | None:
    """The caller's usable tokens, refreshed in-process when needed; None: not signed in."""
    access, refresh = connection.cookies.get(ACCESS), connection.cookies.get(REFRESH)
    if access and usable(access):
        return Tokens(access, refresh or "")
    if not usable(refresh):
        return None
    answer = await call(connection.app, connection.scope, "POST", "/auth/token/refresh", token=refresh)
    if not answer.ok or (answer.json() or {}).get("status") != "success":
        return None
    document = answer.json()
    return Tokens(document["access_token"], document["refresh_token"], renewed=True)


def cookie_headers(connection: HTTPConnection, tokens: Tokens | None) -> list[tuple[str, str]]:
    """Set-Cookie headers that store these tokens (None: that clear them)."""
    response = Response()
    secure = connection.url.scheme == "https"
    for name, value in ((ACCESS, tokens and tokens.access), (REFRESH, tokens and tokens.refresh)):
        if value:
            response.set_cookie(
                name, value, path=COOKIE_PATH, httponly=True, samesite="strict", secure=secure
            )
        else:
            response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict", secure=secure)
    return [(key.decode(), value.decode()) for key, value in response.raw_headers if key == b"set-cookie"]


@dataclass
class Viewer:
    """Who looks at the pages: the user's document as GET /users/ gives it, and their token."""

    tokens: Tokens
    user: dict[str, Any]

    @property
    def is_admin(self) -> bool:
        return bool(self.user.get("is_admin"))

    @property
    def name(self) -> str:
        return str(self.user.get("name") or self.user.get("email"))


def token_email(token: str) -> str | None:
    try:
        email = jwt.decode(token, options={"verify_signature": False}).get("email")
    except jwt.PyJWTError:
        return None
    return email if isinstance(email, str) else None
