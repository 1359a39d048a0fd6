"""The pages under /ui (none in the API spec). Each reads the API in-process as the signed-in
user (render.viewer_of), so a page shows exactly what that user may read through the API."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from bemserver.ui import pages
from bemserver.ui.api import ApiError
from bemserver.ui.inprocess import call
from bemserver.ui.proxy import forward
from bemserver.ui.render import HERE, SignIn, secured, templates, to_sign_in
from bemserver.ui.session import Tokens, cookie_headers

router = APIRouter(include_in_schema=False)
router.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")

Handler = Callable[..., Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """Not signed in: to the sign-in form; the API refused: the error page with its message."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(request, *args, **kwargs)
        except SignIn:
            return to_sign_in(request)
        except ApiError as error:
            status = error.answer.status if error.answer.status in (403, 404, 422) else 502
            response = templates.TemplateResponse(
                request, "error.html", {"message": str(error), "status": status}, status_code=status
            )
            return secured(request, response)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a page of ours: no other host, no scheme."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/"


def _foreign(request: Request) -> bool:
    """A form posted from another site (login forgery): its Origin names another host."""
    origin = request.headers.get("origin")
    return bool(origin) and origin != "null" and urlsplit(origin).netloc != request.headers.get("host")


@router.get("/ui")
async def ui_root() -> Response:
    return RedirectResponse("/ui/", status_code=308)


@router.get("/ui/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    response = templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "failed": False})
    return secured(request, response)


@router.post("/ui/login")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    if _foreign(request):
        return secured(request, Response("Sign in from this server's own page.", status_code=403))
    body = orjson.dumps({"email": email, "password": password})
    answer = await call(request.app, request.scope, "POST", "/auth/token", token=None, body=body)
    document = answer.json() if answer.ok else None
    if not isinstance(document, dict) or document.get("status") != "success":
        response = templates.TemplateResponse(
            request, "login.html", {"next": _safe_next(next), "failed": True, "email": email}
        )
        return secured(request, response)
    tokens = Tokens(document["access_token"], document["refresh_token"], renewed=True)
    response = RedirectResponse(_safe_next(next), status_code=303)
    for key, value in cookie_headers(request, tokens):
        response.headers.append(key, value)
    return secured(request, response)


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    if _foreign(request):
        return secured(request, Response("Sign out from this server's own page.", status_code=403))
    return secured(request, RedirectResponse("/ui/login", status_code=303), clear=True)


@router.api_route("/ui/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
async def api_proxy(request: Request, rest: str) -> Response:
    return await forward(request, rest)


for path, handler in pages.PAGES:
    router.add_api_route(path, guarded(handler), methods=["GET"])
