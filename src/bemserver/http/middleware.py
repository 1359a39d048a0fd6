"""The outermost ASGI layer: version and security headers, HEAD and OPTIONS for every route."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from bemserver.http.errors import PayloadTooLarge, error_response
from bemserver.http.routing import allow_header, allowed_methods

HEAD_FLAG = "bemserver.head"  # in the scope of a HEAD request run as a GET
# On every answer: browsers take the declared content type as is (no sniffing a JSON answer
# into HTML), and no page of the API may be framed by another site.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class ProtocolMiddleware:
    """X-BEMServer-Version on every response (ours; /about/ reports the API's); HEAD runs the GET
    route without its body; OPTIONS (not a CORS preflight) answers 204 with Allow."""

    def __init__(self, app: Any, version: str, max_body_size: int) -> None:
        self.app = app
        self.version_header = (b"x-bemserver-version", version.encode())
        self.extra_headers = [self.version_header, *SECURITY_HEADERS]
        self.max_body_size = max_body_size

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS" and not _is_preflight(scope):
            await self._options(scope, send)
            return
        head = method == "HEAD"
        if head:
            # Endless answers (http/sse.py) look at HEAD_FLAG to stop after their headers.
            scope = {**scope, "method": "GET", HEAD_FLAG: True}
        if _declared_length(scope) > self.max_body_size:
            await _too_large(send, self.extra_headers, self.max_body_size)
            return
        receive = _bounded(receive, self.max_body_size)

        redirect_body: bytes | None = None

        async def send_wrapper(message: Any) -> None:
            nonlocal redirect_body
            if message["type"] == "http.response.start":
                redirect_body = _slash_redirect_body(scope, message)
                if redirect_body is not None:
                    message["headers"] = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() not in (b"content-length", b"content-type")
                    ] + [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(redirect_body)).encode()),
                    ]
                message["headers"] = [*message.get("headers", []), *self.extra_headers]
            elif redirect_body is not None and message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"" if head else redirect_body}
            elif head and message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _options(self, scope: Any, send: Any) -> None:
        methods = allowed_methods(scope["app"], scope)
        if methods:
            status, headers, body = 204, [(b"allow", allow_header(methods).encode())], b""
        else:
            status, headers = 404, [(b"content-type", b"application/json")]
            body = b'{"code":404,"status":"Not Found"}'
            headers.append((b"content-length", str(len(body)).encode()))
        await send(
            {"type": "http.response.start", "status": status, "headers": [*headers, *self.extra_headers]}
        )
        await send({"type": "http.response.body", "body": body})


def _slash_redirect_body(scope: Any, start: Any) -> bytes | None:
    """The body of the router's redirect to the same path with (or without) its trailing slash: a
    message naming that path, where the router sends none (curl -s would print nothing and, without
    -L, nothing would be done)."""
    if start.get("status") not in (307, 308):
        return None
    location = next((value for name, value in start.get("headers", []) if name.lower() == b"location"), None)
    if location is None:
        return None
    target = urlsplit(location.decode("latin-1")).path
    path = scope["path"]
    if target not in (path + "/", path.rstrip("/")) or target == path:
        return None
    message = (
        f"{scope['method']} {path} is answered at {target} (trailing slash): send the request there,"
        " or let the client follow this redirect (curl -L)"
    )
    status = start["status"]
    phrase = "Temporary Redirect" if status == 307 else "Permanent Redirect"
    return orjson.dumps({"code": status, "status": phrase, "message": message})


def _declared_length(scope: Any) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) < 20 else 0
    return 0


def _too_large_message(limit: int) -> str:
    return f"Request body larger than {limit} bytes (BEMSERVER_MAX_BODY_SIZE)."


async def _too_large(send: Any, extra_headers: list[tuple[bytes, bytes]], limit: int) -> None:
    body = error_response(413, _too_large_message(limit)).body
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bounded(receive: Any, limit: int) -> Any:
    """`receive` raising PayloadTooLarge (answered 413) once the body read passes `limit` bytes:
    for bodies sent without Content-Length, or with a false one."""
    received = 0

    async def bounded_receive() -> Any:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(_too_large_message(limit))
        return message

    return bounded_receive


def _is_preflight(scope: Any) -> bool:
    return any(name == b"access-control-request-method" for name, _ in scope.get("headers", ()))
