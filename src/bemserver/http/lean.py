"""Lean request handling for the API's most frequent routes.

A lean route is declared to FastAPI as usual, so OpenAPI documents it from its endpoint's
signature, but requests run through a plain `handler(request)`: it opens the session,
authenticates, and validates the path and the query string in one Pydantic call each. FastAPI's
per-request dependency solving, which validates parameters one at a time, cost as much as the
rest of a small request. The results are the same: checks in the same order (401/403 from the
dependencies, then the parameters), and RequestValidationError located as FastAPI locates it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import request_response

from bemserver.auth.caller import active_caller, authenticated
from bemserver.db.engine import READ_ONLY_METHODS, autocommit_scope, request_session, session_scope

Handler = Callable[[Request], Awaitable[Response]]
_CALLERS = (active_caller, authenticated)


def lean(route: APIRoute, handler: Handler) -> None:
    """Run `route` through `handler` (its documentation unchanged)."""
    route.app = request_response(handler)


def is_sequence(annotation: Any) -> bool:
    origin = getattr(annotation, "__origin__", None)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(is_sequence(arg) for arg in getattr(annotation, "__args__", ()) if arg is not type(None))


def extract(query: QueryParams, names: list[tuple[str, bool]]) -> dict[str, Any]:
    """As FastAPI reads the query: lists from every occurrence, other fields from the last one."""
    data: dict[str, Any] = {}
    for name, sequence in names:
        if sequence:
            values = query.getlist(name)
            if values:
                data[name] = values
        elif name in query:
            data[name] = query[name]
    return data


def validated(
    model: type[BaseModel], data: dict[str, Any], where: str, errors: list[Any]
) -> BaseModel | None:
    """`model` validated from `data`; None after adding its errors, located as FastAPI does, to `errors`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.extend({**error, "loc": (where, *error["loc"])} for error in exc.errors(include_url=False))
        return None


class Params:
    """One Pydantic model for a set of FastAPI parameters (fields of a dependant)."""

    def __init__(self, name: str, fields: list[Any], where: str) -> None:
        self.where = where
        self.names = [
            (field.alias or field.name, is_sequence(field.field_info.annotation)) for field in fields
        ]
        self.keys = [(field.alias or field.name, field.name) for field in fields]
        definitions = {field.name: (field.field_info.annotation, field.field_info) for field in fields}
        self.model: type[BaseModel] = create_model(name, **definitions)  # type: ignore[call-overload]

    def parse(self, source: QueryParams | dict[str, Any], errors: list[Any]) -> dict[str, Any]:
        data = extract(source, self.names) if isinstance(source, QueryParams) else source
        parsed = validated(self.model, data, self.where, errors)
        return {} if parsed is None else {name: getattr(parsed, name) for _, name in self.keys}


def lean_endpoint(route: APIRoute, *, autocommit: bool = False) -> bool:
    """Run a hand-written route leanly when its parameters are all of the kinds handled here
    (the request, the session, the caller, path and query parameters); False otherwise.
    `autocommit`: the route's writes are each one statement, or grouped in an explicit
    `driver.transaction()` (see autocommit_scope)."""
    dependant = route.dependant
    if dependant.body_params or dependant.header_params or dependant.cookie_params:
        return False
    session_name, caller_name, caller_of = None, None, None
    for dependency in dependant.dependencies:
        if dependency.call is request_session:
            session_name = dependency.name
        elif dependency.call in _CALLERS:
            caller_name, caller_of = dependency.name, dependency.call
        else:
            return False
    endpoint, request_name = dependant.call, dependant.request_param_name
    assert endpoint is not None
    path = Params(f"{endpoint.__name__}_path", dependant.path_params, "path")
    query = Params(f"{endpoint.__name__}_query", dependant.query_params, "query")

    async def handler(request: Request) -> Response:
        # Reads and autocommit writes get a connection of the autocommit engine where the
        # endpoint declares a session: they use only the methods both have (see Reader).
        lean_scope = autocommit or request.method in READ_ONLY_METHODS
        async with (autocommit_scope if lean_scope else session_scope)(request) as session:
            kwargs: dict[str, Any] = {}
            if request_name:
                kwargs[request_name] = request
            if session_name:
                kwargs[session_name] = session
            if caller_name and caller_of:
                kwargs[caller_name] = await caller_of(request, session)
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
    return True


def lean_routes(routes: list[Any], *, autocommit: frozenset[str] = frozenset()) -> None:
    """lean_endpoint on every eligible route of a router; routes of the `autocommit` methods run
    in autocommit mode (see autocommit_scope)."""
    for route in routes:
        if isinstance(route, APIRoute):
            lean_endpoint(route, autocommit=bool(route.methods & autocommit))
