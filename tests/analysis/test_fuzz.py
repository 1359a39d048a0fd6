"""Bounded fuzz of the analyses' query arguments on stored data: whatever the arguments, the answer is a
200 or a 4xx, never a 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.analysis.test_degree_days import site as dd_site  # noqa: F401  (the fixture)
from tests.analysis.test_energy import site as energy_site  # noqa: F401  (the fixture)
from tests.timeseries_data.conftest import post_json
from tests.timeseries_data.test_aggregate_fuzz import ARGUMENTS, EXAMPLES, JUNK, MOMENTS
from tests.timeseries_data.test_aggregate_properties import drawn

DATES = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2020-03-28", "2020-03-29", "1680-01-01", "2259-12-31", "2020-02-30", "20200101"]),
    MOMENTS,
)
UNITS = st.one_of(
    st.sampled_from(["Wh", "kWh", "MJ", "°C", "°F", "K", "degF", "", "W", "1/0", "m**99"]), JUNK
)
COMMON = {
    name: ARGUMENTS[name]
    for name in ("start_time", "end_time", "bucket_width_value", "bucket_width_unit", "timezone")
}


@st.composite
def requests(draw: Any, ids: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    route = draw(st.sampled_from(["completeness", "consumption", "production", "degree_days"]))
    if route == "degree_days":
        arguments = {
            "start_date": DATES,
            "end_date": DATES,
            "period": st.one_of(st.sampled_from(["day", "week", "month", "year"]), JUNK),
            "type": st.one_of(st.sampled_from(["heating", "cooling"]), JUNK),
            "base": st.one_of(st.floats(), st.integers(-(10**30), 10**30), JUNK),
            "unit": UNITS,
            "method": st.one_of(st.sampled_from(["min_max", "integrated"]), JUNK),
        }
        path = f"/sites/{draw(st.sampled_from([ids['dd_site'], 0, 2**31]))}/degree_days"
    elif route == "completeness":
        arguments = COMMON | {"data_state": ARGUMENTS["data_state"]}
        path = "/analysis/completeness"
    else:
        kind = draw(st.sampled_from(["site", "building"]))
        element = draw(st.sampled_from([ids[kind], 0, 2**31, -1]))
        arguments = COMMON | {
            "unit": UNITS,
            "ratio_property": st.sampled_from(["Area", "Zero", "Text", "", "x"]),
        }
        path = f"/analysis/energy_{route}/{kind}/{element}"
    params = {name: draw(strategy) for name, strategy in arguments.items() if draw(st.integers(0, 5))}
    if route == "completeness":
        params["timeseries"] = draw(st.lists(st.sampled_from(ids["timeseries"]), max_size=3))
    return path, params


async def test_no_analysis_request_gives_a_server_error(client, world, energy_site, dd_site):  # noqa: F811
    from tests.analysis.test_energy import element_property

    await element_property(client, world, "site", energy_site["site"], "Area", "12.5")
    await element_property(client, world, "site", energy_site["site"], "Zero", "0")
    await element_property(client, world, "site", energy_site["site"], "Text", "big", "string")
    huge = {"2020-01-01T00:00:00Z": 1.7e308, "2020-01-01T00:10:00Z": 1.7e308}
    await post_json(client, world.admin, {str(energy_site["elec"]): huge}, data_state=2)
    ids = {
        "site": energy_site["site"],
        "building": energy_site["building"],
        "dd_site": dd_site,
        "timeseries": [*world.ts, 0, 2**31, "x"],
    }
    for path, params in drawn(requests(ids), EXAMPLES):
        response = await client.get(path, params=params, headers=world.admin.headers)
        assert response.status_code < 500, (path, params, response.text)
