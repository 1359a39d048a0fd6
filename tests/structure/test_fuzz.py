"""Fuzz of the campaign and building-model endpoints: whatever the request, never a 5xx.

For each resource, a bounded number of generated requests (derandomized, so runs repeat) mixes
valid bodies with hostile values: huge and negative integers, NaN and infinities, NUL characters,
long and non-ASCII strings, nulls, lists and objects where scalars are expected, junk fields and
query arguments, ids of rows that exist and of rows that cannot. Calls are made as an admin (to
reach the write paths) and as a non-member (to reach the permission paths).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bemserver.campaigns.resources import RESOURCES as CAMPAIGN_RESOURCES
from bemserver.crud import Resource
from bemserver.structure.resources import RESOURCES as STRUCTURE_RESOURCES
from tests.conftest import Users
from tests.factories import Maker, make_row, valid_body

RESOURCES = CAMPAIGN_RESOURCES + STRUCTURE_RESOURCES
EXAMPLES = int(os.environ.get("BEMSERVER_FUZZ_EXAMPLES", "25"))

TEXTS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "\x00",
            "é€😀",
            "%_\\",
            "x" * 600,
            "NaN",
            "-inf",
            "1e999",
            "true",
            "False",
            "-1",
            "2147483648",
            "99999999999999999999",
            "2020-01-01T00:00:00",
            "2020-01-01T00:00:00+00:00",
            "0001-01-01T00:00:00+14:00",
            "Europe/Paris",
            "m**2",
            "°C_HDD",
            "1/0",
            "name,-name",
            "+",
        ]
    ),
)
INTEGERS = st.one_of(
    st.integers(min_value=-3, max_value=12),
    st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63, 2**70, -(2**70)]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTEGERS,
    st.floats(allow_nan=True, allow_infinity=True),
    TEXTS,
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
)
STRANGE_IDS = st.sampled_from([0, -1, 2**31, 2**40])


def body_fields(resource: Resource) -> list[str]:
    fields: list[str] = []
    for body in (resource.create, resource.update):
        if body is not None:
            fields.extend(name for name in body.model_fields if name not in fields)
    return fields


def filter_fields(resource: Resource) -> list[str]:
    names = list(resource.filters.model_fields) if resource.filters else []
    return names + (["sort"] if resource.sort else [])


@st.composite
def requests(draw: Any, resource: Resource, base: dict[str, Any], ids: list[int]) -> dict[str, Any]:
    methods = [
        method
        for on, method in (
            (resource.list, "LIST"),
            (resource.create is not None, "POST"),
            (resource.get, "GET"),
            (resource.update is not None, "PUT"),
            (resource.delete, "DELETE"),
        )
        if on
    ]
    method = draw(st.sampled_from(methods))
    keys = st.sampled_from([*body_fields(resource), "id", "junk"])
    body: Any = dict(base) if draw(st.booleans()) else {}
    body.update(draw(st.dictionaries(keys, VALUES, max_size=4)))
    if draw(st.integers(0, 9)) == 0:
        body = draw(VALUES)  # not an object at all
    query_keys = st.sampled_from([*filter_fields(resource), "junk"])
    return {
        "method": method,
        # Mostly rows that exist, so that updates and deletes get past the 404.
        "item_id": draw(st.sampled_from(ids) if draw(st.integers(0, 4)) else STRANGE_IDS),
        "body": body,
        "query": draw(st.dictionaries(query_keys, TEXTS, max_size=3)),
        "as_admin": draw(st.integers(0, 3)) > 0,
    }


async def send(client: Any, users: Users, resource: Resource, case: dict[str, Any]) -> Any:
    user = users.admin if case["as_admin"] else users.active
    headers = user.headers | {"If-Match": "*", "Content-Type": "application/json"}
    method, item = case["method"], f"{resource.path}{case['item_id']}"
    content = json.dumps(case["body"], allow_nan=True).encode()
    if method == "LIST":
        return await client.get(resource.path, params=case["query"], headers=headers)
    if method == "POST":
        return await client.post(resource.path, content=content, headers=headers)
    if method == "PUT":
        return await client.put(item, content=content, headers=headers)
    return await client.request(method, item, headers=headers)


@pytest.mark.parametrize("resource", RESOURCES, ids=[resource.path for resource in RESOURCES])
async def test_no_request_gives_a_server_error(client, users: Users, resource: Resource):
    maker = Maker(client, users)
    ids = [(await make_row(maker, resource.path, n))["id"] for n in range(4)]
    base = await valid_body(maker, resource.path, 4)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("BEMSERVER_FUZZ_RANDOM") is None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=requests(resource, base, ids))
    def check(case: dict[str, Any]) -> None:
        cases.append(case)

    cases: list[dict[str, Any]] = []
    check()
    for case in cases:
        response = await send(client, users, resource, case)
        assert response.status_code < 500, f"{case}: {response.status_code} {response.text}"
