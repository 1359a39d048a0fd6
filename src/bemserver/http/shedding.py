"""Load shedding: a bounded number of requests run at once in a server process; beyond it, a
request waits a moment for a place, then is answered 503 with Retry-After. An overloaded server
thus answers quickly (with a 503 clients retry after a while) instead of letting every request
time out, and its memory and database connections stay bounded.

Not counted: GET /about/ (the health check: it must answer during an overload) and the live
streams, which last as long as their clients listen.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bemserver.http.errors import error_response

RETRY_AFTER = "1"
MESSAGE = "The server is busy: please try again shortly"


def _exempt(scope: Any) -> bool:
    path: str = scope.get("path", "")
    return path.endswith(("/about/", "/stream")) or scope.get("method") == "OPTIONS"


class ConcurrencyLimit:
    def __init__(self, app: Any, limit: int, wait: float) -> None:
        self.app = app
        self.wait = wait
        self.slots = asyncio.Semaphore(limit)
        self.shed = 0  # requests answered 503 so far (for the logs and the tests)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _exempt(scope):
            await self.app(scope, receive, send)
            return
        try:
            if self.slots.locked():
                await asyncio.wait_for(self.slots.acquire(), self.wait)
            else:
                await self.slots.acquire()  # free: at once (wait_for(..., 0) would give up)
        except TimeoutError:
            self.shed += 1
            response = error_response(503, MESSAGE, headers={"Retry-After": RETRY_AFTER})
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()
