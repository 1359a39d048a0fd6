"""The usual mistakes of a first curl session each get an answer that says what to do."""

from __future__ import annotations

import pytest

from bemserver.units import UnitError, conversion, parse_unit
from tests.timeseries_data.conftest import RAW, post_json

T0 = "2020-01-01T00:00:00+00:00"


class TestContentType:
    async def test_csv_sent_as_a_form(self, client, world):
        """curl --data-binary sends application/x-www-form-urlencoded without -H."""
        response = await client.post(
            "/timeseries_data/",
            params={"data_state": RAW},
            content=f"Datetime,{world.ts[0]}\n{T0},1\n".encode(),
            headers={**world.admin.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 422
        assert response.json()["message"] == (
            "Wrong JSON file: this looks like CSV. Send it with Content-Type: text/csv"
            " (curl: -H 'Content-Type: text/csv' --data-binary @file.csv)"
        )

    async def test_other_bad_json_keeps_its_message(self, client, world):
        response = await post_json(client, world.admin, b"{not json")
        assert response.json()["message"] == "Wrong JSON file"


class TestPlusInQueryTimes:
    async def test_an_unencoded_plus_gets_a_hint(self, client, world):
        # what curl sends for start_time=2020-01-01T00:00:00+01:00 written in the URL
        response = await client.get(
            f"/timeseries_data/?timeseries={world.ts[0]}&data_state=1"
            "&start_time=2020-01-01T00:00:00+01:00&end_time=2020-01-02T00:00:00%2B01:00",
            headers=world.admin.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["start_time"] == [
            "Not a valid datetime. A '+' in a URL query reads as a space: write the offset +01:00 as"
            " %2B01:00 (or use curl -G --data-urlencode 'start_time=...')."
        ]

    async def test_other_bad_times_keep_the_reference_message(self, client, world):
        response = await client.get(
            "/timeseries_data/",
            params={"timeseries": world.ts[0], "data_state": 1, "start_time": "yesterday", "end_time": T0},
            headers=world.admin.headers,
        )
        assert response.json()["errors"]["query"]["start_time"] == ["Not a valid datetime."]


class TestTrailingSlash:
    @pytest.mark.parametrize("method", ["POST", "DELETE", "GET"])
    async def test_the_redirect_names_the_path(self, client, admin, method):
        response = await client.request(method, "/campaigns?x=1", headers=admin.headers)
        assert response.status_code == 307
        assert response.headers["location"].endswith("/campaigns/?x=1")
        assert response.json() == {
            "code": 307,
            "status": "Temporary Redirect",
            "message": f"{method} /campaigns is answered at /campaigns/ (trailing slash): send the request"
            " there, or let the client follow this redirect (curl -L)",
        }

    async def test_head_has_no_body(self, client, admin):
        response = await client.head("/campaigns", headers=admin.headers)
        assert response.status_code == 307
        assert response.content == b""

    async def test_following_it_works(self, client, world):
        response = await client.post(
            "/timeseries_data",
            params={"data_state": RAW},
            json={str(world.ts[0]): {T0: 1}},
            headers=world.admin.headers,
            follow_redirects=True,
        )
        assert response.status_code == 201


class TestIfMatch:
    async def test_the_428_says_what_to_send(self, client, admin):
        made = await client.post("/campaigns/", json={"name": "C", "timezone": "UTC"}, headers=admin.headers)
        response = await client.delete(f"/campaigns/{made.json()['id']}", headers=admin.headers)
        assert response.status_code == 428
        assert "If-Match" in response.json()["message"]


class TestUnits:
    @pytest.mark.parametrize(
        ("friendly", "canonical"),
        [("m3", "m**3"), ("m2", "m**2"), ("kWh/m2", "kWh/m**2"), ("m3/h", "m**3/h"), ("W/m2", "W/m**2")],
    )
    def test_spreadsheet_spellings(self, friendly, canonical):
        assert parse_unit(friendly) == parse_unit(canonical)

    @pytest.mark.parametrize("symbol", ["Nm³", "Nm3", "Nm**3", "Nm^3"])
    def test_normal_cubic_metres_are_volumes(self, symbol):
        assert conversion(symbol, "m³") == (1.0, 0.0)
        assert conversion(f"{symbol}/h", "m**3/s") == pytest.approx((1 / 3600, 0.0))

    def test_pint_spellings_with_digits_stay_pint_s(self):
        assert str(parse_unit("cmH2O")) == "centimeter_H2O"

    @pytest.mark.parametrize(("symbol", "close"), [("wh", "Wh"), ("kwh", "kWh")])
    def test_an_unknown_unit_names_close_symbols(self, symbol, close):
        with pytest.raises(UnitError) as raised:
            parse_unit(symbol)
        assert str(raised.value).startswith(f"Undefined unit. Close symbols: {close}")

    def test_no_close_symbol(self):
        with pytest.raises(UnitError, match=r"^Undefined unit\.$"):
            parse_unit("qqqqqqq")

    async def test_a_timeseries_in_m3(self, client, admin):
        campaign = await client.post(
            "/campaigns/", json={"name": "C", "timezone": "UTC"}, headers=admin.headers
        )
        scope = await client.post(
            "/campaign_scopes/",
            json={"name": "S", "campaign_id": campaign.json()["id"]},
            headers=admin.headers,
        )
        body = {
            "name": "Gas",
            "unit_symbol": "Nm3",
            "campaign_id": campaign.json()["id"],
            "campaign_scope_id": scope.json()["id"],
        }
        assert (await client.post("/timeseries/", json=body, headers=admin.headers)).status_code == 201
