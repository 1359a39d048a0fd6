"""create_app(settings): the FastAPI application with every domain (bemserver/domain.py) mounted."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bemserver import __version__, domain
from bemserver.crud.router import build_router
from bemserver.db.database import Database
from bemserver.docs import install_docs
from bemserver.http.errors import install_error_handlers
from bemserver.http.fast.dispatch import dispatch_by_segment
from bemserver.http.middleware import ProtocolMiddleware
from bemserver.http.openapi import install_openapi
from bemserver.http.routing import flat_routes
from bemserver.http.shedding import ConcurrencyLimit
from bemserver.http.sse import end_streams_on_exit_signals
from bemserver.settings import Settings

PUBLIC = {("POST", "/auth/token"), ("GET", "/about/")}

# FastAPI 0.16x asks the OpenTelemetry providers on every request whether to trace it (about a
# tenth of a small request's time). BEMServer configures none: switched off where supported.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(settings: Settings, database_url: str) -> FastAPI:
    logging.basicConfig(level=settings.log_level.upper())
    database = Database(database_url, settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        restore_signals = end_streams_on_exit_signals(database.listener)
        yield
        restore_signals()
        await database.dispose()

    app = FastAPI(
        **_NO_TELEMETRY,
        title="BEMServer API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api-spec.json",
        lifespan=lifespan,
        separate_input_output_schemas=False,
    )
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    app.state.database = database
    app.state.public_paths = PUBLIC

    domains = domain.discover()
    domain.declare_rules(domains)
    install_error_handlers(app)
    app.state.schema_pairs = []
    served = [found for found in domains if found.enabled is None or found.enabled(settings)]
    for module in (module for found in served for module in found.route_modules()):
        for resource in getattr(module, "RESOURCES", ()):
            _mount(app, build_router(resource))
            for body in (resource.create, resource.update):
                if body is not None:
                    app.state.schema_pairs.append((resource.read.__name__, body.__name__))
        if hasattr(module, "router"):
            _mount(app, module.router)
    _refuse_duplicate_routes(app)
    dispatch_by_segment(app)
    install_openapi(app, settings.auth_methods, __version__)
    install_docs(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Pagination", "X-Import-Report"],
        )

    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrent_requests, wait=settings.overload_wait)
    app.add_middleware(ProtocolMiddleware, version=__version__, max_body_size=settings.max_body_size)
    return app


def _mount(app: FastAPI, router: APIRouter) -> None:
    """Add the router's routes to the app's own list: FastAPI 0.16x tries include_router()'s
    wrappers one by one (1 ms of matching for the last of 40 routers, a third of that once flat)."""
    app.router.routes.extend(router.routes)
    mark_changed = getattr(app.router, "_mark_routes_changed", None)
    if mark_changed is not None:
        mark_changed()


def _refuse_duplicate_routes(app: FastAPI) -> None:
    seen: set[tuple[str, str]] = set()
    for route in flat_routes(app):
        # path_format drops converters: "/users/{item_id:int}" and "/users/{item_id}" clash.
        path = getattr(route, "path_format", None)
        for method in getattr(route, "methods", None) or ():
            if path is None or method == "HEAD":
                continue
            if (method, path) in seen:
                raise RuntimeError(f"Two routes for {method} {path}")
            seen.add((method, path))
