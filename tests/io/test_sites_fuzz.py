"""/io/sites against random files: random bytes and CSV-ish text built from hostile pieces; never a 5xx.

Cases are generated first (derandomized, so runs repeat), then sent in turn to one campaign that
already holds a small tree and properties of every type, so that some rows resolve and get written.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.io.sites_support import enable_properties, imported, upload

EXAMPLES = int(os.environ.get("BEMSERVER_FUZZ_EXAMPLES", "25")) * 6
FILES = ("sites_csv", "buildings_csv", "storeys_csv", "spaces_csv", "zones_csv")
COLUMNS = ["Name", "Description", "IFC_ID", "Site", "Building", "Storey", "Area", "Floors", "Heated", "Code"]
HEADER_CELLS = st.one_of(st.sampled_from([*COLUMNS, "", " Name ", "Unknown", '"Name"']), st.text(max_size=6))
CELLS = st.one_of(
    st.sampled_from(
        ["", "S1", "B1", "St1", "Sp1", "1,5", "-3", "TRUE", "no", "1e999", "nan", '"', '""', "a;b", "x" * 120]
    ),
    st.text(max_size=8),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"])


REQUIRED = {
    "sites_csv": ["Name", "Description", "IFC_ID"],
    "buildings_csv": ["Site", "Name", "Description", "IFC_ID"],
    "storeys_csv": ["Site", "Building", "Name", "Description", "IFC_ID"],
    "spaces_csv": ["Site", "Building", "Storey", "Name", "Description", "IFC_ID"],
    "zones_csv": ["Name", "Description", "IFC_ID"],
}


@st.composite
def csv_like(draw: Any, file: str) -> bytes:
    """Lines of cells joined by a separator, without escaping: quotes and separators inside cells stay.
    The header is either the file's required columns (shuffled, maybe with property columns) or random."""
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    valid = draw(st.permutations([*REQUIRED[file], *draw(st.sets(st.sampled_from(COLUMNS[6:])))]))
    header = draw(st.one_of(st.just(valid), st.lists(HEADER_CELLS, max_size=9)))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header) + 1), max_size=6))
    text = newline.join(separator.join(cells) for cells in [header, *rows])
    return text.encode(draw(ENCODINGS), errors="replace")


@st.composite
def uploads(draw: Any) -> dict[str, bytes]:
    files = draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=3, unique=True))
    return {file: draw(st.one_of(st.binary(max_size=200), csv_like(file))) for file in files}


def generated_uploads() -> list[dict[str, bytes]]:
    cases: list[dict[str, bytes]] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=not os.environ.get("BEMSERVER_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(files=uploads())
    def collect(files: dict[str, bytes]) -> None:
        cases.append(files)

    collect()
    return cases


async def test_random_files_never_cause_a_server_error(client, admin):
    await enable_properties(client, admin)
    campaign_id = await imported(
        client,
        admin,
        sites_csv="Name,Description,IFC_ID\nS1,,\n",
        buildings_csv="Site,Name,Description,IFC_ID\nS1,B1,,\n",
        storeys_csv="Site,Building,Name,Description,IFC_ID\nS1,B1,St1,,\n",
        spaces_csv="Site,Building,Storey,Name,Description,IFC_ID\nS1,B1,St1,Sp1,,\n",
    )
    statuses: set[int] = set()
    for files in generated_uploads():
        response = await upload(client, admin, campaign_id, **files)
        assert response.status_code in (201, 422), f"{files!r}: {response.status_code} {response.text}"
        if response.status_code == 422:
            assert response.json()["message"].startswith("Invalid CSV file content: "), response.text
        statuses.add(response.status_code)
    assert statuses == {201, 422}  # the generator reaches both outcomes
