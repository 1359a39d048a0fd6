"""Fuzz of the timeseries metadata endpoints: whatever the request, never a 5xx.

The hostile requests of tests/structure/test_fuzz.py (bodies, ids and query arguments), plus
/timeseries/ list arguments mixing every filter with JSON-ish `properties` values. Bounded and
derandomized, as there.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bemserver.crud import Resource
from bemserver.timeseries.links import RESOURCES as LINK_RESOURCES
from bemserver.timeseries.resources import RESOURCES as METADATA_RESOURCES
from tests.conftest import Users
from tests.factories import Maker, make_row, valid_body
from tests.structure.test_fuzz import EXAMPLES, TEXTS, requests, send

RESOURCES = METADATA_RESOURCES + LINK_RESOURCES
FILTERS = [
    "name",
    "in_name",
    "unit_symbol",
    "campaign_id",
    "campaign_scope_id",
    "user_id",
    "site_id",
    "recurse_site_id",
    "building_id",
    "recurse_building_id",
    "storey_id",
    "recurse_storey_id",
    "space_id",
    "zone_id",
    "event_id",
    "sort",
    "page",
    "page_size",
]
PROPERTIES = st.one_of(
    TEXTS,
    st.sampled_from(
        [
            "{}",
            '{"Min": "0"}',
            '{"Min": 0}',
            '{"Min": null}',
            '{"\\u0000": "x"}',
            '{"Min": "\\u0000"}',
            '{"Min": {"a": "b"}}',
            "[]",
            "null",
            '{"' + "x" * 1000 + '": "1"}',
        ]
    ),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3).map(json.dumps),
)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("BEMSERVER_FUZZ_RANDOM") is None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def drawn(strategy: Any) -> list[Any]:
    """EXAMPLES values of a strategy, drawn without running the async test inside hypothesis."""
    found: list[Any] = []

    @SETTINGS
    @given(value=strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


@pytest.mark.parametrize("resource", RESOURCES, ids=[resource.path for resource in RESOURCES])
async def test_no_request_gives_a_server_error(client, users: Users, resource: Resource):
    maker = Maker(client, users)
    ids = [(await make_row(maker, resource.path, n))["id"] for n in range(4)]
    base = await valid_body(maker, resource.path, 4)
    for case in drawn(requests(resource, base, ids)):
        response = await send(client, users, resource, case)
        assert response.status_code < 500, f"{case}: {response.status_code} {response.text}"


async def test_no_timeseries_list_arguments_give_a_server_error(client, users: Users):
    maker = Maker(client, users)
    for n in range(3):
        await make_row(maker, "/timeseries_by_spaces/", n)
    queries = st.fixed_dictionaries(
        {"properties": PROPERTIES},
        optional={name: st.one_of(TEXTS, st.integers(-3, 2**40).map(str)) for name in FILTERS},
    )
    for query in drawn(st.tuples(queries, st.booleans())):
        params, as_admin = query
        headers = (users.admin if as_admin else users.active).headers
        response = await client.get("/timeseries/", params=params, headers=headers)
        assert response.status_code < 500, f"{params}: {response.status_code} {response.text}"
