"""The outermost ASGI layer: version header, HEAD and OPTIONS for every route."""

from __future__ import annotations

from typing import Any

from bemserver.http.routing import allow_header, allowed_methods


class ProtocolMiddleware:
    """X-BEMServer-Version on every response (our own version; /about/ reports the API's).

    HEAD runs the GET route and drops the body, keeping the headers (ETag, X-Pagination...).
    OPTIONS (other than a CORS preflight, left to the CORS middleware) answers 204 with Allow.
    """

    def __init__(self, app: Any, version: str) -> None:
        self.app = app
        self.version_header = (b"x-bemserver-version", version.encode())

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
            scope = {**scope, "method": "GET"}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.version_header]
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
            {"type": "http.response.start", "status": status, "headers": [*headers, self.version_header]}
        )
        await send({"type": "http.response.body", "body": body})


def _is_preflight(scope: Any) -> bool:
    return any(name == b"access-control-request-method" for name, _ in scope.get("headers", ()))
