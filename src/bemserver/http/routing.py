"""The app's routes as a flat list, whatever the nesting of included routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def flat_routes(app: Any) -> Iterator[Any]:
    """Every route (path_format, path_regex, methods...), included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before the included-router rework: routes are already flat
        yield from app.router.routes
        return
    yield from iter_route_contexts(app.router.routes)


def allowed_methods(app: Any, scope: Any) -> set[str]:
    """Methods the app's routes accept at the request's path (HEAD with GET, OPTIONS always); empty if none."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    methods: set[str] = set()
    for route in flat_routes(app):
        route_methods = getattr(route, "methods", None)
        regex = getattr(route, "path_regex", None)
        if route_methods and regex is not None and regex.match(path):
            methods |= route_methods
    if "GET" in methods:
        methods.add("HEAD")
    if methods:
        methods.add("OPTIONS")
    return methods


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods))
