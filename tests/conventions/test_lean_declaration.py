"""A route marked for the fast path that cannot run on it stops the app at start-up."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, Depends, Header
from starlette.responses import Response

from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Connection
from bemserver.http.fast.handlers import NotLean, lean_routes


def _router_with(endpoint: Any, method: str = "POST") -> APIRouter:
    router = APIRouter()
    router.add_api_route("/things/", endpoint, methods=[method])
    return router


def test_a_route_with_a_body_is_refused():
    async def post_thing(connection: Connection, body: Annotated[dict[str, Any], Body()]) -> Response:
        return Response()

    with pytest.raises(NotLean, match=r"^POST /things/ cannot run leanly: it takes a body$"):
        lean_routes(_router_with(post_thing).routes)


def test_a_route_with_a_header_is_refused():
    async def get_thing(connection: Connection, x_thing: Annotated[str, Header()]) -> Response:
        return Response()

    with pytest.raises(NotLean, match="it takes header parameters"):
        lean_routes(_router_with(get_thing, "GET").routes)


async def unknown() -> int:
    return 1


def test_a_route_with_a_dependency_it_cannot_resolve_is_refused():
    async def get_thing(caller: CurrentCaller, value: Annotated[int, Depends(unknown)]) -> Response:
        return Response()

    with pytest.raises(NotLean, match="its dependency 'value' is not request-scoped"):
        lean_routes(_router_with(get_thing, "GET").routes)


def test_an_eligible_route_runs_leanly():
    async def get_thing(connection: Connection, caller: CurrentCaller, n: int = 1) -> Response:
        return Response()

    router = _router_with(get_thing, "GET")
    declared = router.routes[0].app  # type: ignore[attr-defined]
    lean_routes(router.routes)
    assert router.routes[0].app is not declared  # type: ignore[attr-defined]
