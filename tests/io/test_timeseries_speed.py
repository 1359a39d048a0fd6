"""/io/timeseries speed: 10,000 timeseries with a location, a zone and two property values each."""

from __future__ import annotations

import time

from tests.helpers import sql_statements
from tests.io.timeseries_support import HEADER, listed, new_campaign, upload

COUNT = 10_000


def big_file(description: str) -> str:
    lines = [HEADER + ",Min,Max"]
    for n in range(COUNT):
        place = ("Site 1,Building 1,Storey 1,Space 1", "Site 1,Building 2,,", "Site 1,,,", ",,,")[n % 4]
        lines.append(
            f"TS {n},{description} {n},W,Campaign 1 - Scope {1 + n % 2},{place},Zone 1,{n},{n + 1}.5"
        )
    return "\n".join(lines) + "\n"


async def test_ten_thousand_timeseries_are_imported_and_reimported_in_seconds(client, admin):
    campaign_id = await new_campaign(client, admin)
    start = time.perf_counter()
    with sql_statements() as seen:
        response = await upload(client, admin, campaign_id, big_file("first"))
    created = time.perf_counter() - start
    first_statements = len(seen)
    assert response.status_code == 201, response.text
    start = time.perf_counter()
    with sql_statements() as seen:
        response = await upload(client, admin, campaign_id, big_file("second"))
    updated = time.perf_counter() - start
    second_statements = len(seen)
    assert response.status_code == 201, response.text
    listing = await client.get("/timeseries/", params={"page_size": 1}, headers=admin.headers)
    assert listing.headers["X-Pagination"].startswith(f'{{"total": {COUNT},')
    (last,) = await listed(client, admin, name=f"TS {COUNT - 1}")
    assert last["description"] == f"second {COUNT - 1}"
    links = await client.get("/timeseries_by_zones/", params={"page_size": 1}, headers=admin.headers)
    assert links.headers["X-Pagination"].startswith(f'{{"total": {COUNT},')
    # Generous bounds for a shared 2-core machine; the figures are printed for the report.
    print(  # noqa: T201 - the figure is reported (run with -s to see it)
        f"\n/io/timeseries {COUNT} rows: created in {created:.2f} s, re-imported in {updated:.2f} s"
        f" ({first_statements} and {second_statements} SQL statements)"
    )
    # The times are reported, not asserted (the machine is shared): the import is set-based,
    # a few dozen statements whatever the number of rows.
    assert first_statements < 100 and second_statements < 100, (first_statements, second_statements)
