"""Templates, the pages' security headers, and the signed-in guard every page goes through."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bemserver import __version__
from bemserver.ui.api import Api
from bemserver.ui.session import CAMPAIGN, Tokens, Viewer, cookie_headers, current_tokens, token_email

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__

# No inline script or style anywhere: every page can be served with this policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def secured(
    request: Request, response: Response, tokens: Tokens | None = None, clear: bool = False
) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if clear or (tokens is not None and tokens.renewed):
        for key, value in cookie_headers(request, None if clear else tokens):
            response.headers.append(key, value)
    return response


class SignIn(Exception):
    """Not signed in (or no longer): the page redirects to the sign-in form."""


# The user's document by access token, for a few seconds: a page's fragments (each keystroke of a
# filter) need not read it again. Only the header uses it (name, the Admin link): every read of a
# page goes through the API's own checks.
_USERS: dict[str, tuple[float, dict]] = {}
USER_CACHE_SECONDS = 10.0


async def viewer_of(request: Request) -> tuple[Viewer, Api]:
    tokens = await current_tokens(request)
    if tokens is None:
        raise SignIn()
    api = Api(request, tokens)
    now = time.monotonic()
    cached = _USERS.get(tokens.access)
    if cached is not None and now - cached[0] < USER_CACHE_SECONDS:
        return Viewer(tokens, cached[1]), api
    users = await api.get_or_none("/users/", email=token_email(tokens.access))
    if not users:
        raise SignIn()
    if len(_USERS) > 1000:
        _USERS.clear()
    _USERS[tokens.access] = (now, users[0])
    return Viewer(tokens, users[0]), api


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):  # an htmx fragment: the whole page goes to the form
        response = Response(status_code=204, headers={"HX-Redirect": f"/ui/login?next={quote(target)}"})
    else:
        response = RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)
    return secured(request, response, clear=True)


async def page(
    request: Request,
    viewer: Viewer,
    api: Api,
    template: str,
    campaign: dict | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A full page (or, for htmx, the fragment template alone) with the header's campaigns."""
    campaigns = await api.all("/campaigns/") if not request.headers.get("hx-request") else []
    response = templates.TemplateResponse(
        request,
        template,
        {"viewer": viewer, "campaigns": campaigns, "campaign": campaign, **context},
        status_code=status_code,
    )
    if campaign is not None:
        response.set_cookie(CAMPAIGN, str(campaign["id"]), path="/ui", httponly=True, samesite="strict")
    return secured(request, response, viewer.tokens)


def fragment(request: Request, viewer: Viewer, template: str, **context: Any) -> Response:
    response = templates.TemplateResponse(request, template, {"viewer": viewer, **context})
    return secured(request, response, viewer.tokens)
