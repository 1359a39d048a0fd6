"""Lean handlers for the most frequent routes.

A lean route stays declared to FastAPI (OpenAPI documents it from its endpoint's signature), but
runs through a plain `handler(request)` that validates path and query in one Pydantic call each
(FastAPI's per-parameter dependency solving cost as much as the rest of a small request). Checks
run in the same order and errors are located as FastAPI locates them. A route marked lean whose
parameters are of other kinds stops the app at start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from bemserver.db.engine import (
    database_of,
    request_connection,
    request_session,
    session_scope,
)
from bemserver.http.fast.queries import Params

Handler = Callable[[Request], Awaitable[Response]]
Dependency = TypeVar("Dependency", bound=Callable[..., Awaitable[Any]])

# Dependencies that a lean handler resolves itself, as `await dependency(request, session)`.
_REQUEST_SCOPED: set[Callable[..., Awaitable[Any]]] = set()


def request_scoped(dependency: Dependency) -> Dependency:
    """Mark a dependency of signature (request, session) -> value (the caller, say) as one that
    lean routes may declare."""
    _REQUEST_SCOPED.add(dependency)
    return dependency


def lean(route: APIRoute, handler: Handler) -> None:
    """Run `route` through `handler` (its documentation unchanged)."""
    route.app = request_response(handler)


class NotLean(RuntimeError):
    """A route marked for the fast path cannot run on it."""

    def __init__(self, route: APIRoute, reason: str) -> None:
        methods = ",".join(sorted(route.methods))
        super().__init__(f"{methods} {route.path} cannot run leanly: {reason}")


def lean_endpoint(route: APIRoute) -> None:
    """Run a hand-written route leanly. Its parameters must be of the kinds handled here (the
    request, a Session or Connection, request-scoped dependencies such as the caller, path and
    query parameters): otherwise NotLean."""
    dependant = route.dependant
    for kind, params in (
        ("a body", dependant.body_params),
        ("header parameters", dependant.header_params),
        ("cookie parameters", dependant.cookie_params),
    ):
        if params:
            raise NotLean(route, f"it takes {kind}")
    scope_name, connection_only = None, False
    scoped: list[tuple[str, Callable[..., Awaitable[Any]]]] = []
    for dependency in dependant.dependencies:
        if dependency.call is request_session or dependency.call is request_connection:
            scope_name, connection_only = dependency.name, dependency.call is request_connection
        elif dependency.call in _REQUEST_SCOPED:
            scoped.append((dependency.name, dependency.call))  # type: ignore[arg-type]
        else:
            raise NotLean(route, f"its dependency {dependency.name!r} is not request-scoped")
    endpoint, request_name = dependant.call, dependant.request_param_name
    assert endpoint is not None
    path = Params(f"{endpoint.__name__}_path", dependant.path_params, "path")
    query = Params(f"{endpoint.__name__}_query", dependant.query_params, "query")

    async def handler(request: Request) -> Response:
        scope = database_of(request).reader() if connection_only else session_scope(request)
        async with scope as session:
            kwargs: dict[str, Any] = {}
            if request_name:
                kwargs[request_name] = request
            if scope_name:
                kwargs[scope_name] = session
            for name, call in scoped:
                kwargs[name] = await call(request, session)
            errors: list[Any] = []
            kwargs |= path.parse(request.path_params, errors)
            kwargs |= query.parse(request.query_params, errors)
            if errors:
                raise RequestValidationError(errors)
            response = await endpoint(**kwargs)
            if not isinstance(response, Response):
                raise TypeError(f"{endpoint.__name__} must return a Response to run leanly")
            return response

    lean(route, handler)


def lean_routes(routes: list[Any]) -> None:
    """lean_endpoint on every route of a router (NotLean if one cannot)."""
    for route in routes:
        if isinstance(route, APIRoute):
            lean_endpoint(route)


# Tries a request on a short path first: a Response, or None for the route as declared.
Attempt = Callable[[Request, bytes], Awaitable[Response | None]]


def attempt_first(route: APIRoute, attempt: Attempt) -> None:
    """Run `attempt` on each request of `route` first; when it answers None, the route runs as
    declared (validation, errors and all) on the same request, its body replayed."""
    declared = route.app

    async def app(scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await request.body()
        response = await attempt(request, body)
        if response is not None:
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await declared(scope, replay, send)

    route.app = app
