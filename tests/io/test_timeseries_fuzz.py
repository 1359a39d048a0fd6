"""/io/timeseries against random files: random bytes and CSV-ish text built from hostile pieces; never a 5xx.

Cases are generated first (derandomized, so runs repeat), then sent in turn to one campaign that has
scopes, a small tree and a property of every type, so that some rows resolve and get written.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import create
from tests.io.timeseries_support import new_campaign, upload

EXAMPLES = int(os.environ.get("BEMSERVER_FUZZ_EXAMPLES", "25")) * 6
REQUIRED = ["Campaign scope", "Name", "Description", "Unit", "Site", "Building", "Storey", "Space", "Zone"]
PROPERTIES = ["Min", "Interval", "Floor", "Critical", "Brand"]
HEADER_CELLS = st.one_of(
    st.sampled_from([*REQUIRED, *PROPERTIES, "", " Name ", "Unknown"]), st.text(max_size=6)
)
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "T1",
            "T2",
            "Campaign 1 - Scope 1",
            "Campaign 1 - Scope 2",
            "Site 1",
            "Building 1",
            "Storey 1",
            "Space 1",
            "Zone 1",
            "°C",
            "kWh",
            "wh",
            "1/0",
            "m**",
            "1,5",
            "-3",
            "TRUE",
            "nan",
            '"',
            "a;b",
            "x" * 120,
        ]
    ),
    st.text(max_size=8),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"])


@st.composite
def csv_like(draw: Any) -> bytes:
    """Lines of cells joined by a separator, without escaping. The header is the required columns
    (shuffled, maybe with property columns) or random cells."""
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    valid = draw(st.permutations([*REQUIRED, *draw(st.sets(st.sampled_from(PROPERTIES)))]))
    header = draw(st.one_of(st.just(valid), st.lists(HEADER_CELLS, max_size=12)))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header) + 1), max_size=6))
    text = newline.join(separator.join(cells) for cells in [header, *rows])
    return text.encode(draw(ENCODINGS), errors="replace")


def generated_files() -> list[bytes]:
    cases: list[bytes] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=not os.environ.get("BEMSERVER_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(data=st.one_of(st.binary(max_size=200), csv_like(), csv_like()))
    def collect(data: bytes) -> None:
        cases.append(data)

    collect()
    return cases


async def test_random_files_never_cause_a_server_error(client, admin):
    for name, value_type in (("Floor", "integer"), ("Critical", "boolean"), ("Brand", "string")):
        await create(client, "/timeseries_properties/", admin.headers, name=name, value_type=value_type)
    campaign_id = await new_campaign(client, admin)
    statuses: set[int] = set()
    for data in generated_files():
        response = await upload(client, admin, campaign_id, data)
        assert response.status_code in (201, 422), f"{data!r}: {response.status_code} {response.text}"
        if response.status_code == 422:
            assert response.json()["message"].startswith("Invalid CSV file content: "), response.text
        statuses.add(response.status_code)
    assert statuses == {201, 422}  # the generator reaches both outcomes


async def test_hostile_query_and_form_values_never_cause_a_server_error(client, admin, user):
    campaign_id = await new_campaign(client, admin)
    good = ("t.csv", b"Name,Description,Unit,Campaign scope,Site,Building,Storey,Space,Zone\n", "text/csv")
    for params, files, data in (
        ({"campaign_id": "2147483648"}, {"timeseries_csv": good}, None),
        ({"campaign_id": "-1"}, {"timeseries_csv": good}, None),
        ({"campaign_id": "\x00"}, {"timeseries_csv": good}, None),
        ({"campaign_id": campaign_id}, None, {"timeseries_csv": "\x00"}),
        ({"campaign_id": campaign_id}, {"timeseries_csv": ("t.csv", b"\x00\xff", "text/csv")}, None),
        ({"campaign_id": campaign_id}, {"timeseries_csv": ("t.csv", b"", "application/octet-stream")}, None),
    ):
        for caller in (admin, user):
            response = await client.post(
                "/io/timeseries", params=params, files=files, data=data, headers=caller.headers
            )
            assert response.status_code < 500, (
                f"{params} {files} {data}: {response.status_code} {response.text}"
            )
