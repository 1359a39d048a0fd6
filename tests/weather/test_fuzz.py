"""Fuzz of the weather download: whatever the period and flag, a 204 or a 4xx, never a 5xx, for
sites with and without weather timeseries, against the fake Open-Meteo and Oikolab."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.weather.conftest import app_for, weather_timeseries

EXAMPLES = int(os.environ.get("BEMSERVER_FUZZ_EXAMPLES", "25"))
NEAR = datetime(2020, 1, 1, tzinfo=UTC)
MOMENTS = st.one_of(
    st.datetimes(
        min_value=datetime(1680, 1, 1), max_value=datetime(2259, 12, 31), timezones=st.sampled_from([UTC])
    ),
    st.integers(min_value=-72, max_value=72).map(lambda hours: NEAR + timedelta(hours=hours, minutes=7)),
    st.integers(min_value=-48, max_value=48).map(
        lambda hours: datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)
    ),
)
LENGTHS = st.one_of(
    st.integers(min_value=-2, max_value=80).map(lambda minutes: timedelta(minutes=15 * minutes)),
    st.sampled_from([timedelta(days=3 * 366), timedelta(days=3 * 366, seconds=1), timedelta(days=400)]),
)
TEXTS = st.sampled_from(
    ["", "x", "2020-01-01", "2020-01-01T00:00:00", "2020-13-01T00:00:00+00:00", "\x00", "1e999"]
)


@pytest.mark.parametrize("name", ["om", "oiko"])
async def test_no_server_error(client_for, fake, admin, scope, site, name):
    http = await app_for(client_for, fake, name)
    await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°F")
    await weather_timeseries(http, admin.headers, scope, site, "RELATIVE_HUMIDITY", "%", forecast=True)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("BEMSERVER_FUZZ_RANDOM") is None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(
        start=MOMENTS,
        length=LENGTHS,
        texts=st.one_of(st.none(), st.tuples(TEXTS, TEXTS)),
        forecast=st.sampled_from(["true", "false", "false", "1", "", "maybe"]),
        site_id=st.sampled_from([site["id"]] * 6 + [0, 2**31, 999]),
    )
    def collect(
        start: datetime, length: timedelta, texts: tuple[str, str] | None, forecast: str, site_id: int
    ) -> None:
        period = texts or (start.isoformat(), (start + length).isoformat())
        cases.append((*period, forecast, site_id))

    cases: list[tuple[str, str, str, int]] = []
    collect()
    for start, end, forecast, site_id in cases:
        response = await http.put(
            f"/sites/{site_id}/download_weather_data",
            params={"start_time": start, "end_time": end, "forecast": forecast},
            headers=admin.headers,
        )
        assert response.status_code < 500, f"{start} {end} {forecast}: {response.status_code} {response.text}"
