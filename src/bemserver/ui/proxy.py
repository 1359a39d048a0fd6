"""/ui/api/<path>: the API for the pages' own scripts, with the signed-in user's token added.

The scripts never hold a token: the browser sends the HttpOnly cookies, this hands the request to
the app at /<path> with `Authorization: Bearer <access token>` in place of the cookies, and streams
the answer back (Server-Sent Events too). Writes need the X-BEMServer-UI header, which only a
same-origin script can send (forgery protection on top of SameSite=Strict cookies).
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bemserver.ui.session import cookie_headers, current_tokens

UI_HEADER = "x-bemserver-ui"
READS = {"GET", "HEAD"}


class Forwarded(Response):
    """Hands the request on to the app itself, under another path and with a token."""

    def __init__(self, request: Request, path: str, token: str, set_cookies: list[tuple[str, str]]) -> None:
        self.request, self.path, self.token, self.set_cookies = request, path, token, set_cookies
        self.background = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [
            (key, value)
            for key, value in scope["headers"]
            if key not in (b"cookie", b"authorization", UI_HEADER.encode())
        ]
        headers.append((b"authorization", f"Bearer {self.token}".encode()))
        inner = dict(scope) | {
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "headers": headers,
            "state": {},
        }
        inner.pop("route", None)
        inner.pop("path_params", None)
        inner.pop("endpoint", None)
        extra = [(key.lower().encode(), value.encode("latin-1")) for key, value in self.set_cookies]

        async def send_with_cookies(message: Any) -> None:
            if message["type"] == "http.response.start" and extra:
                message = dict(message) | {"headers": [*message.get("headers", []), *extra]}
            await send(message)

        # Compressed for the browser (the API's own answers are unchanged): a chart's JSON shrinks
        # about six times; Server-Sent Events are never compressed.
        await GZipMiddleware(scope["app"], minimum_size=1024)(inner, receive, send_with_cookies)


async def forward(request: Request, rest: str) -> Response:
    if request.method not in READS and request.headers.get(UI_HEADER) != "1":
        return JSONResponse({"message": "Writes need the X-BEMServer-UI header."}, status_code=403)
    path = "/" + rest
    if path.startswith("/ui/") or path == "/ui" or "//" in path:
        return JSONResponse({"message": "Not an API path."}, status_code=404)
    tokens = await current_tokens(request)
    if tokens is None:
        return JSONResponse({"message": "Not signed in."}, status_code=401)
    set_cookies = cookie_headers(request, tokens) if tokens.renewed else []
    return Forwarded(request, path, tokens.access, set_cookies)
