"""PUT /sites/{id}/download_weather_data against local fake providers (tests/weather/fake_providers.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bemserver.auth.caller import SYSTEM
from bemserver.weather.download import download_weather_for_site
from bemserver.weather.providers import open_meteo
from bemserver.weather.providers.oikolab import last_hour
from tests.helpers import create
from tests.weather.conftest import app_for, weather_timeseries
from tests.weather.fake_providers import (
    OIKOLAB_KEY,
    FakeProviders,
    Forced,
    closed_port,
    fixture,
)

CLEAN = 2
DAY = datetime(2020, 1, 1, tzinfo=UTC)
OM_DAY = json.loads(fixture("open_meteo_hourly.json"))["hourly"]
OIKO_DAY = json.loads(json.loads(fixture("oikolab_hourly.json"))["data"])


def om_value(variable: str, hour: int) -> float | None:
    return OM_DAY[variable][hour % 24]


def oiko_value(name: str, hour: int) -> float:
    columns = [column.split(" ", 1)[0] for column in OIKO_DAY["columns"]]
    return OIKO_DAY["data"][hour % 24][columns.index(name)]


def stamp(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
async def om(client_for, fake: FakeProviders):
    return await app_for(client_for, fake, "om")


@pytest.fixture
async def oiko(client_for, fake: FakeProviders):
    return await app_for(client_for, fake, "oiko")


async def download(http, headers, site_id: int, start: datetime, end: datetime, **extra: Any):
    params = {"start_time": start.isoformat(), "end_time": end.isoformat(), **extra}
    return await http.put(f"/sites/{site_id}/download_weather_data", params=params, headers=headers)


async def clean_data(http, headers, ts_id: int, start: datetime = DAY, days: int = 3) -> dict[str, float]:
    response = await http.get(
        "/timeseries_data/",
        params={
            "timeseries": ts_id,
            "data_state": CLEAN,
            "start_time": (start - timedelta(days=days)).isoformat(),
            "end_time": (start + timedelta(days=days)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json().get(str(ts_id), {})


async def post_clean(http, headers, ts_id: int, points: dict[datetime, float]) -> None:
    body = {str(ts_id): {stamp(moment): value for moment, value in points.items()}}
    response = await http.post("/timeseries_data/", params={"data_state": CLEAN}, json=body, headers=headers)
    assert response.status_code == 201, response.text


def hours(count: int, start: datetime = DAY) -> list[datetime]:
    return [start + timedelta(hours=hour) for hour in range(count)]


class TestOpenMeteo:
    async def test_values_land_in_clean_converted_into_each_timeseries_unit(
        self, om, admin, scope, site, fake
    ):
        fahrenheit = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°F")
        humidity = await weather_timeseries(om, admin.headers, scope, site, "RELATIVE_HUMIDITY", "%")
        pressure = await weather_timeseries(om, admin.headers, scope, site, "SURFACE_PRESSURE", "Pa")
        wind = await weather_timeseries(om, admin.headers, scope, site, "WIND_SPEED", "km/h")
        fraction = await weather_timeseries(om, admin.headers, scope, site, "DEWPOINT_TEMPERATURE", "")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(days=1))
        assert response.status_code == 204, response.text
        assert response.content == b""

        temperatures = await clean_data(om, admin.headers, fahrenheit["id"])
        # The fixture's last hour is null: no point.
        assert list(temperatures) == [stamp(moment) for moment in hours(23)]
        for hour, moment in enumerate(hours(23)):
            celsius = om_value("temperature_2m", hour)
            assert temperatures[stamp(moment)] == pytest.approx(celsius * 9 / 5 + 32)
        assert (await clean_data(om, admin.headers, humidity["id"]))[stamp(DAY)] == pytest.approx(
            om_value("relative_humidity_2m", 0)
        )
        assert (await clean_data(om, admin.headers, pressure["id"]))[stamp(DAY)] == pytest.approx(
            om_value("surface_pressure", 0) * 100
        )
        assert (await clean_data(om, admin.headers, wind["id"]))[stamp(DAY)] == pytest.approx(
            om_value("wind_speed_10m", 0) * 3.6
        )
        # A timeseries without a unit gets the reference's unit (°C here).
        assert (await clean_data(om, admin.headers, fraction["id"]))[stamp(DAY)] == pytest.approx(
            om_value("dew_point_2m", 0)
        )

        ((path, query, _),) = fake.requests
        assert path == "/v1/archive"
        assert query["hourly"] == [
            "temperature_2m,dew_point_2m,wind_speed_10m,relative_humidity_2m,surface_pressure"
        ]
        assert (query["start_date"], query["end_date"]) == (["2020-01-01"], ["2020-01-01"])
        assert (query["latitude"], query["longitude"]) == (["46.0"], ["6.0"])
        assert (query["timezone"], query["timeformat"], query["wind_speed_unit"]) == (
            ["GMT"],
            ["unixtime"],
            ["ms"],
        )
        assert "apikey" not in query

    async def test_relative_humidity_in_percent_into_a_fraction(self, om, admin, scope, site):
        humidity = await weather_timeseries(om, admin.headers, scope, site, "RELATIVE_HUMIDITY", "")
        assert (
            await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=2))
        ).status_code == 204
        assert await clean_data(om, admin.headers, humidity["id"]) == {
            stamp(moment): pytest.approx(om_value("relative_humidity_2m", hour) / 100)
            for hour, moment in enumerate(hours(2))
        }

    async def test_the_period_is_start_included_end_excluded_at_any_minute(
        self, om, admin, scope, site, fake
    ):
        ts = await weather_timeseries(om, admin.headers, scope, site, "WIND_DIRECTION", "°")
        start, end = DAY + timedelta(hours=22, minutes=30), DAY + timedelta(days=1, hours=2)
        assert (await download(om, admin.headers, site["id"], start, end)).status_code == 204
        expected = [DAY + timedelta(hours=hour) for hour in (23, 24, 25)]
        assert list(await clean_data(om, admin.headers, ts["id"])) == [stamp(moment) for moment in expected]
        (_, query, _) = fake.requests[0]
        assert (query["start_date"], query["end_date"]) == (["2020-01-01"], ["2020-01-02"])

    async def test_forecast_links_use_the_forecast_api(self, om, admin, scope, site, fake):
        measured = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        predicted = await weather_timeseries(
            om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C", forecast=True
        )
        tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        response = await download(
            om, admin.headers, site["id"], tomorrow, tomorrow + timedelta(hours=6), forecast="true"
        )
        assert response.status_code == 204, response.text
        assert [path for path, _, _ in fake.requests] == ["/v1/forecast"]
        assert list(await clean_data(om, admin.headers, predicted["id"], tomorrow)) == [
            stamp(moment) for moment in hours(6, tomorrow)
        ]
        assert await clean_data(om, admin.headers, measured["id"], tomorrow) == {}

    async def test_the_latest_days_the_archive_lacks_come_from_the_forecast_api(
        self, om, admin, scope, site, fake
    ):
        measured = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        now = datetime.now(UTC)
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=8)
        response = await download(om, admin.headers, site["id"], start, now + timedelta(days=2))
        assert response.status_code == 204, response.text
        assert [path for path, _, _ in fake.requests] == ["/v1/archive", "/v1/forecast"]
        (_, latest, _) = fake.requests[1]
        assert latest["start_date"] == [(now - timedelta(days=7)).date().isoformat()]
        assert latest["end_date"] == [now.date().isoformat()]
        stored = await clean_data(om, admin.headers, measured["id"], now, days=9)
        # Every past hour (but those the fixture has no temperature for), none to come.
        expected = [start + timedelta(hours=hour) for hour in range(8 * 24 + 1)]
        expected = [moment for moment in expected if moment < now and moment.hour != 23]
        assert list(stored) == [stamp(moment) for moment in expected]

    async def test_a_complete_archive_asks_nothing_more(self, om, admin, scope, site, fake):
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=10)
        assert (
            await download(om, admin.headers, site["id"], start, start + timedelta(days=2))
        ).status_code == 204
        assert [path for path, _, _ in fake.requests] == ["/v1/archive"]

    async def test_a_period_beyond_what_the_archive_serves_asks_nothing(self, om, admin, scope, site, fake):
        ts = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        later = datetime.now(UTC) + timedelta(days=30)
        assert (
            await download(om, admin.headers, site["id"], later, later + timedelta(days=1))
        ).status_code == 204
        assert fake.requests == []
        assert await clean_data(om, admin.headers, ts["id"], later) == {}

    async def test_a_commercial_key_is_sent_as_apikey(self, client_for, fake, admin, scope, site):
        http = await client_for(weather_api_url=f"{fake.url},{fake.url}", weather_api_key="commercial")
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        assert (
            await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        ).status_code == 204
        assert fake.requests[0][1]["apikey"] == ["commercial"]

    async def test_every_parameter_maps_to_an_open_meteo_variable(self, om, admin, scope, site, fake):
        for parameter in open_meteo.VARIABLES:
            await weather_timeseries(om, admin.headers, scope, site, parameter, "")
        assert (
            await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=3))
        ).status_code == 204
        assert fake.requests[0][1]["hourly"] == [",".join(open_meteo.VARIABLES.values())]


class TestOikolab:
    async def test_values_land_in_clean_converted_into_each_timeseries_unit(
        self, oiko, admin, scope, site, fake
    ):
        fahrenheit = await weather_timeseries(oiko, admin.headers, scope, site, "AIR_TEMPERATURE", "°F")
        humidity = await weather_timeseries(oiko, admin.headers, scope, site, "RELATIVE_HUMIDITY", "%")
        pressure = await weather_timeseries(oiko, admin.headers, scope, site, "SURFACE_PRESSURE", "hPa")
        response = await download(oiko, admin.headers, site["id"], DAY, DAY + timedelta(days=1))
        assert response.status_code == 204, response.text
        temperatures = await clean_data(oiko, admin.headers, fahrenheit["id"])
        assert list(temperatures) == [stamp(moment) for moment in hours(24)]
        for hour, moment in enumerate(hours(24)):
            assert temperatures[stamp(moment)] == pytest.approx(oiko_value("temperature", hour) * 9 / 5 + 32)
        # 0.78 (a fraction) is 78 in a % timeseries, as in the reference.
        assert (await clean_data(oiko, admin.headers, humidity["id"]))[stamp(DAY)] == pytest.approx(
            oiko_value("relative_humidity", 0) * 100
        )
        assert (await clean_data(oiko, admin.headers, pressure["id"]))[stamp(DAY)] == pytest.approx(
            oiko_value("surface_pressure", 0) / 100
        )
        ((path, query, _),) = fake.requests
        assert path == "/weather"
        assert query["param"] == ["temperature", "relative_humidity", "surface_pressure"]
        assert query["start"] == ["2020-01-01T00:00:00+00:00"]
        assert query["end"] == ["2020-01-01T23:00:00+00:00"]  # the last hour wanted: Oikolab includes it
        assert (query["model"], query["api-key"], query["lat"], query["lon"]) == (
            ["era5"],
            [OIKOLAB_KEY],
            ["46.0"],
            ["6.0"],
        )

    async def test_forecast_asks_the_gfs_model(self, oiko, admin, scope, site, fake):
        ts = await weather_timeseries(oiko, admin.headers, scope, site, "WIND_SPEED", "m/s", forecast=True)
        end = DAY + timedelta(hours=5, minutes=30)
        assert (await download(oiko, admin.headers, site["id"], DAY, end, forecast="true")).status_code == 204
        assert fake.requests[0][1]["model"] == ["gfs"]
        assert fake.requests[0][1]["end"] == ["2020-01-01T05:00:00+00:00"]
        assert len(await clean_data(oiko, admin.headers, ts["id"])) == 6

    def test_the_end_sent_is_the_last_hour_before_the_end(self):
        assert last_hour(DAY + timedelta(hours=3)) == DAY + timedelta(hours=2)
        assert last_hour(DAY + timedelta(hours=3, seconds=1)) == DAY + timedelta(hours=3)

    async def test_a_wrong_key_is_409_wrong_api_key(self, client_for, fake, admin, scope, site):
        http = await client_for(
            weather_provider="oikolab", weather_api_url=f"{fake.url}/weather", weather_api_key="not the key"
        )
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert (response.status_code, response.json()["message"]) == (409, "Wrong API key.")

    async def test_without_a_key_is_409_missing_settings_and_nothing_is_asked(
        self, client_for, fake, admin, scope, site
    ):
        http = await client_for(weather_provider="oikolab", weather_api_url=f"{fake.url}/weather")
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert (response.status_code, response.json()["message"]) == (409, "Missing weather API settings.")
        assert fake.requests == []


@pytest.fixture(params=["om", "oiko"])
async def provider(request, client_for, fake) -> Any:
    """Each provider in turn: (an app using it, its short name)."""
    return await app_for(client_for, fake, request.param), request.param


class TestErrors:
    async def test_error_answers_are_502_with_the_providers_reason(self, provider, fake, admin, scope, site):
        http, name = provider
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        if name == "om":
            fake.error(500, "open_meteo_error.json")
            reason = "out of allowed range from 1940-01-01"
        else:
            fake.error(500, "oikolab_error.txt", "text/plain")
            reason = "the weather model store is unavailable"
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 502
        assert "HTTP 500" in response.json()["message"]
        assert reason in response.json()["message"]

    async def test_open_meteo_overloaded_or_rate_limited_is_502(self, om, fake, admin, scope, site):
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        fake.error(503, "open_meteo_overloaded.json")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 502
        assert (
            response.json()["message"]
            == "Weather provider open-meteo failed: HTTP 503: The service is overloaded"
        )

    async def test_open_meteo_401_is_wrong_api_key(self, om, fake, admin, scope, site):
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        fake.error(401, "open_meteo_error.json")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert (response.status_code, response.json()["message"]) == (409, "Wrong API key.")

    @pytest.mark.parametrize("body", ["malformed", "not json", "empty object"])
    async def test_malformed_answers_are_502(self, provider, fake, admin, scope, site, body):
        http, name = provider
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        if body == "malformed":
            fake.error(200, "open_meteo_malformed.json" if name == "om" else "oikolab_malformed.json")
        elif body == "not json":
            fake.error(200, "oikolab_error.txt", "text/html")
        else:
            fake.answer = Forced(200, b"{}")
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 502, response.text
        assert response.json()["message"].startswith(
            f"Weather provider {'open-meteo' if name == 'om' else 'oikolab'} failed: "
        )

    @pytest.mark.parametrize("name", ["om", "oiko"])
    async def test_no_answer_in_time_is_504(self, client_for, fake, admin, scope, site, name):
        http = await app_for(client_for, fake, name, timeout=1.0)
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        fake.answer = "slow"
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 504
        assert response.json()["message"].endswith("unreachable: no answer within 1 s")

    async def test_connection_refused_is_504(self, client_for, admin, scope, site):
        http = await client_for(weather_api_url=f"http://127.0.0.1:{closed_port()}")
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 504
        assert response.json()["message"].startswith("Weather provider open-meteo unreachable: ")

    async def test_an_invalid_url_setting_is_409(self, client_for, admin, scope, site):
        http = await client_for(weather_api_url="ftp://example.org")
        await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 409
        assert response.json()["message"].startswith("Invalid weather API URL")

    async def test_a_parameter_the_provider_lacks_is_422_naming_it(
        self, om, fake, admin, scope, site, monkeypatch
    ):
        monkeypatch.delitem(open_meteo.VARIABLES, open_meteo.P.WETBULB_TEMPERATURE)
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        await weather_timeseries(om, admin.headers, scope, site, "WETBULB_TEMPERATURE", "°C")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 422
        assert response.json()["message"] == (
            "The weather provider open-meteo does not provide: WETBULB_TEMPERATURE."
        )
        assert fake.requests == []

    async def test_a_timeseries_unit_that_does_not_fit_is_409(self, om, fake, admin, scope, site):
        ts = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "m")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 409
        assert f"timeseries {ts['id']}" in response.json()["message"]
        assert fake.requests == []


class TestAtomicReplacement:
    async def test_the_period_is_replaced_and_data_around_it_kept(self, provider, admin, scope, site):
        http, name = provider
        ts = await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        before, inside, after = (
            DAY - timedelta(hours=1),
            DAY + timedelta(minutes=30),
            DAY + timedelta(hours=2),
        )
        await post_clean(http, admin.headers, ts["id"], {before: -50.0, inside: -50.0, after: -50.0})
        assert (
            await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=2))
        ).status_code == 204
        variable = ("temperature_2m", om_value) if name == "om" else ("temperature", oiko_value)
        assert await clean_data(http, admin.headers, ts["id"]) == {
            stamp(before): -50.0,
            stamp(DAY): pytest.approx(variable[1](variable[0], 0)),
            stamp(DAY + timedelta(hours=1)): pytest.approx(variable[1](variable[0], 1)),
            stamp(after): -50.0,
        }

    @pytest.mark.parametrize("failure", ["error", "malformed", "slow", "refused"])
    async def test_a_failed_download_leaves_the_old_data(self, client_for, fake, admin, scope, site, failure):
        http = await app_for(client_for, fake, "om", timeout=1.0)
        ts = await weather_timeseries(http, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        raw_ts = ts["id"]
        old = {moment: float(hour) for hour, moment in enumerate(hours(6))}
        await post_clean(http, admin.headers, ts["id"], old)
        if failure == "error":
            fake.error(500, "open_meteo_error.json")
        elif failure == "malformed":
            fake.error(200, "open_meteo_malformed.json")
        elif failure == "slow":
            fake.answer = "slow"
        else:
            http = await client_for(weather_api_url=f"http://127.0.0.1:{closed_port()}", weather_timeout=1.0)
        response = await download(http, admin.headers, site["id"], DAY, DAY + timedelta(hours=6))
        assert response.status_code in (502, 504)
        assert await clean_data(http, admin.headers, raw_ts) == {stamp(m): v for m, v in old.items()}

    async def test_a_failure_while_writing_rolls_the_deletion_back(self, om, admin, scope, site, monkeypatch):
        """The deletion and the writes are one transaction: a write that fails undoes the deletion."""
        from bemserver.timeseries_data import ingest

        ts = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        old = {moment: 7.0 for moment in hours(3)}
        await post_clean(om, admin.headers, ts["id"], old)

        async def failing_write(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(ingest, "write", failing_write)
        with pytest.raises(RuntimeError):
            await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=3))
        assert await clean_data(om, admin.headers, ts["id"]) == {stamp(m): 7.0 for m in old}


class TestRules:
    async def test_no_links_for_that_flag_is_204_without_calling_the_provider(
        self, om, fake, admin, scope, site
    ):
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C", forecast=True)
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 204
        assert fake.requests == []

    async def test_missing_coordinates_is_409(self, om, fake, admin, campaign, scope):
        site = await create(om, "/sites/", admin.headers, name="Nowhere", campaign_id=campaign["id"])
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert (response.status_code, response.json()["message"]) == (409, "Missing site coordinates.")
        assert fake.requests == []

    async def test_admins_only(self, om, fake, admin, user, scope, site):
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(om, user.headers, site["id"], DAY, DAY + timedelta(hours=1))
        assert response.status_code == 403
        assert fake.requests == []

    async def test_unknown_site_is_404(self, om, admin):
        assert (await download(om, admin.headers, 999999, DAY, DAY + timedelta(hours=1))).status_code == 404

    async def test_unauthenticated_is_401(self, om, site):
        assert (await download(om, {}, site["id"], DAY, DAY + timedelta(hours=1))).status_code == 401

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"end_time": "2020-01-02T00:00:00+00:00"}, "start_time"),
            ({"start_time": "2020-01-01T00:00:00+00:00"}, "end_time"),
            ({"start_time": "2020-01-01T00:00:00", "end_time": "2020-01-02T00:00:00+00:00"}, "start_time"),
            ({"start_time": "x", "end_time": "2020-01-02T00:00:00+00:00"}, "start_time"),
            (
                {
                    "start_time": "2020-01-01T00:00:00+00:00",
                    "end_time": "2020-01-02T00:00:00+00:00",
                    "forecast": "maybe",
                },
                "forecast",
            ),
        ],
    )
    async def test_bad_arguments_are_422(self, om, admin, site, params, field):
        response = await om.put(
            f"/sites/{site['id']}/download_weather_data", params=params, headers=admin.headers
        )
        assert response.status_code == 422
        assert field in response.json()["errors"]["query"]

    @pytest.mark.parametrize("days", [0, -1, 3 * 366 + 1])
    async def test_an_empty_reversed_or_too_long_period_is_422(self, om, fake, admin, scope, site, days):
        await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        response = await download(om, admin.headers, site["id"], DAY, DAY + timedelta(days=days))
        assert response.status_code == 422
        assert "_schema" in response.json()["errors"]["query"]
        assert fake.requests == []


class TestService:
    async def test_callable_without_a_request(self, app, om, fake, admin, scope, site):
        """As a scheduled task calls it: a unit of work, the system caller, the settings."""
        from tests.conftest import make_settings

        ts = await weather_timeseries(om, admin.headers, scope, site, "AIR_TEMPERATURE", "°C")
        settings = make_settings(weather_api_url=fake.url, weather_timeout=30.0)
        async with app.state.database.unit_of_work() as session:
            written = await download_weather_for_site(
                session, SYSTEM, site["id"], DAY, DAY + timedelta(hours=4), False, settings=settings
            )
        assert written == 4
        assert len(await clean_data(om, admin.headers, ts["id"])) == 4


class TestLargeDownloads:
    @pytest.mark.parametrize("name", ["om", "oiko"])
    async def test_a_month_of_every_parameter_replaces_a_month_of_data(
        self, client_for, fake, admin, scope, site, name
    ):
        """Thousands of points go through the bulk write path, still in the one transaction."""
        http = await app_for(client_for, fake, name)
        made = [
            await weather_timeseries(http, admin.headers, scope, site, parameter, "")
            for parameter in open_meteo.VARIABLES
        ]
        end = DAY + timedelta(days=31)
        await post_clean(http, admin.headers, made[0]["id"], {moment: -1.0 for moment in hours(31 * 24)})
        assert (await download(http, admin.headers, site["id"], DAY, end)).status_code == 204
        counts = {ts["id"]: len(await clean_data(http, admin.headers, ts["id"], DAY, days=40)) for ts in made}
        # Open-Meteo's fixture has a null at 23:00 for the air temperature.
        first = 31 * 23 if name == "om" else 31 * 24
        assert counts == {ts["id"]: first if ts is made[0] else 31 * 24 for ts in made}
