"""Lean routes (http/fast/handlers.py) answer exactly as FastAPI's own handling of the same declaration.

Each request below is sent twice: once through the lean handler, once through the handler FastAPI
builds from the route's signature (swapped in for the occasion). Status, body and the headers a
client reads must be identical, errors included.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import fastapi.dependencies.utils
import pytest
from fastapi.routing import APIRoute, request_response

from tests.helpers import create

START, END = "2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"


@contextmanager
def fastapi_handling(app: Any) -> Iterator[None]:
    """Every route run by FastAPI's own request handler while the block runs."""
    saved = [(route, route.app) for route in app.router.routes if isinstance(route, APIRoute)]
    for route, _ in saved:
        route.app = request_response(route.get_route_handler())
    try:
        yield
    finally:
        for route, original in saved:
            route.app = original


def _requests(ts: int, campaign: int) -> list[tuple[str, str, dict[str, Any], bytes | None]]:
    data = f"/timeseries_data/campaign/{campaign}/"
    window = {"start_time": START, "end_time": END, "data_state": "1"}
    return [
        ("GET", "/users/", {}, None),
        ("GET", "/users/", {"name": "x", "sort": "-name"}, None),
        ("GET", "/users/", {"sort": "nope"}, None),
        ("GET", "/users/", {"is_admin": "maybe", "unknown": "ignored"}, None),
        ("GET", "/users/1", {}, None),
        ("GET", "/users/99999999999", {}, None),
        ("GET", "/users/424242", {}, None),
        ("GET", "/timeseries/", {"campaign_id": str(campaign)}, None),
        ("GET", "/timeseries/", {"campaign_id": ["x", str(campaign)], "page_size": "2"}, None),
        ("GET", "/timeseries/", {"page": "0", "page_size": "1000", "campaign_id": "abc"}, None),
        ("GET", "/timeseries/", {"page": "50"}, None),
        ("GET", "/timeseries/", {"properties": "not json", "in_name": "T_%"}, None),
        ("GET", "/timeseries/", {"recurse_site_id": "1", "name": "T0"}, None),
        ("GET", "/timeseries_data/", {"timeseries": [str(ts), "x"], **window}, None),
        ("GET", "/timeseries_data/", {"timeseries": str(ts), **window}, None),
        ("GET", "/timeseries_data/", {"timeseries": str(ts), "start_time": "yesterday"}, None),
        ("GET", "/timeseries_data/", {"timeseries": str(ts), **window, "timezone": "Mars/Base"}, None),
        ("GET", "/timeseries_data/", {"timeseries": str(ts), **window, "convert_to": ["", "kW"]}, None),
        ("GET", data, {"timeseries": "T0", **window}, None),
        ("GET", "/timeseries_data/campaign/99999999999/", {"timeseries": "T0", **window}, None),
        (
            "GET",
            "/timeseries_data/aggregate",
            {"timeseries": str(ts), **window, "bucket_width_unit": "week"},
            None,
        ),
        (
            "GET",
            "/timeseries_data/aggregate",
            {"timeseries": str(ts), **window, "aggregation": "median"},
            None,
        ),
        ("GET", "/timeseries_data/stats", {"timeseries": str(ts), "data_state": "1"}, None),
        ("GET", "/timeseries_data/stats", {"timeseries": str(ts)}, None),
        ("POST", "/timeseries_data/", {"data_state": "x"}, b"{}"),
        ("POST", "/timeseries_data/", {}, b"{}"),
        ("POST", "/timeseries_data/", {"data_state": "1", "overwrite": "maybe"}, b"{}"),
        ("POST", "/timeseries_data/", {"data_state": "1"}, f'{{"{ts}": {{"{START}": 1.5}}}}'.encode()),
        ("POST", "/timeseries_data/", {"data_state": "99"}, f'{{"{ts}": {{"{START}": 1}}}}'.encode()),
        ("POST", data, {"data_state": "1", "overwrite": "true"}, f'{{"T0": {{"{START}": 2}}}}'.encode()),
        ("DELETE", "/timeseries_data/", {"timeseries": str(ts), **window}, None),
        ("DELETE", "/timeseries_data/", {"timeseries": str(ts), "data_state": "1"}, None),
    ]


@pytest.fixture
async def objects(client, admin) -> tuple[int, int]:
    campaign = await create(client, "/campaigns/", admin.headers, name="C", timezone="UTC")
    scope = await create(client, "/campaign_scopes/", admin.headers, name="S", campaign_id=campaign["id"])
    for n in range(3):
        ts = await create(
            client,
            "/timeseries/",
            admin.headers,
            name=f"T{n}",
            campaign_id=campaign["id"],
            campaign_scope_id=scope["id"],
        )
    return ts["id"], campaign["id"]


async def _answer(client, method, path, params, body, headers) -> tuple[Any, ...]:
    sent = dict(headers)
    if body is not None:
        sent["Content-Type"] = "application/json"
    response = await client.request(method, path, params=params, content=body, headers=sent)
    kept = ("content-type", "etag", "x-pagination", "www-authenticate", "allow")
    return response.status_code, response.content, {name: response.headers.get(name) for name in kept}


async def test_lean_routes_answer_as_fastapi_would(app, client, admin, user, inactive, objects):
    ts, campaign = objects
    for who in (admin.headers, user.headers, inactive.headers, {}, {"Authorization": "Bearer nope"}):
        for method, path, params, body in _requests(ts, campaign):
            lean = await _answer(client, method, path, params, body, who)
            with fastapi_handling(app):
                reference = await _answer(client, method, path, params, body, who)
            assert lean == reference, (method, path, params)


async def test_hot_routes_skip_fastapi_dependency_solving(client, admin, objects, monkeypatch):
    ts, campaign = objects
    solved = []
    original = fastapi.dependencies.utils.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        solved.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    for method, path, params, body in _requests(ts, campaign):
        await _answer(client, method, path, params, body, admin.headers)
    assert solved == []
    await client.get("/about/")  # a route FastAPI still handles: the counter works
    assert solved == [1]
