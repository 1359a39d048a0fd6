"""Calls into the app itself, as an API client would, without a socket: the pages read the API with
the signed-in user's token, so they show exactly what that user may read through the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        return next((value.decode("latin-1") for key, value in self.headers if key.lower() == wanted), None)

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def api_scope(base: Scope, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    """An HTTP scope for `path` on the same server as `base`, with these headers only."""
    return {
        "type": "http",
        "asgi": base.get("asgi", {"version": "3.0"}),
        "http_version": "1.1",
        "method": method,
        "scheme": base.get("scheme", "http"),
        "server": base.get("server"),
        "client": base.get("client"),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode("latin-1"),
        "headers": headers,
        "state": {},
        "app": base.get("app"),
    }


async def call(
    app: ASGIApp,
    base: Scope,
    method: str,
    path: str,
    *,
    token: str | None,
    params: dict[str, Any] | list[tuple[str, Any]] | None = None,
    body: bytes = b"",
    content_type: str = "application/json",
    accept: str = "application/json",
) -> Answer:
    """One request to the app; the whole answer, read into memory (pages' reads are small)."""
    headers = [(b"accept", accept.encode()), (b"host", b"ui.internal")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body:
        headers += [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    query = urlencode(params or {}, doseq=True)
    scope = api_scope(base, method, path, query, headers)
    sent = False
    answer = Answer(500)
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    answer.body = b"".join(chunks)
    return answer
