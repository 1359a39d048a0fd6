"""Fuzz of the energy endpoints, with rows that exist: whatever the request, never a 5xx.

The hostile requests of tests/structure/test_fuzz.py (bodies, ids and query arguments) on each
energy resource, bounded and derandomized as there."""

from __future__ import annotations

import pytest

from bemserver.crud import Resource
from bemserver.energy.resources import RESOURCES
from tests.conftest import Users
from tests.factories import Maker, make_row, valid_body
from tests.structure.test_fuzz import requests, send
from tests.timeseries.test_fuzz import drawn


@pytest.mark.parametrize("resource", RESOURCES, ids=[resource.path for resource in RESOURCES])
async def test_no_request_gives_a_server_error(client, users: Users, resource: Resource):
    maker = Maker(client, users)
    ids = [(await make_row(maker, resource.path, n))["id"] for n in range(4)]
    base = await valid_body(maker, resource.path, 4)
    for case in drawn(requests(resource, base, ids)):
        response = await send(client, users, resource, case)
        assert response.status_code < 500, f"{case}: {response.status_code} {response.text}"
