"""The workload against mock servers: missing endpoints give n/a figures with their status, never a crash,
and an endpoint that answers wrong data gives 'wrong', never 'pass'."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx
import orjson
import pytest

from tests.bench.modules import load

bench_api = load("bench_api")
bench_figures = load("bench_figures")
bench_workload = load("bench_workload")

OPTIONS = bench_workload.Options(2, 1, 50_000, 1, 3, 0.5, 30.0)


def run(handler) -> dict:
    api = bench_api.Api("http://127.0.0.1:1", "a@b.c", "x", 10, transport=httpx.MockTransport(handler))
    return bench_workload.Workload(api, OPTIONS, server_pid=None).run()


def only_users_and_campaign_lists(request: httpx.Request) -> httpx.Response:
    if request.method == "GET" and request.url.path in ("/users/", "/campaigns/"):
        return httpx.Response(200, json=[])
    return httpx.Response(404, json={"code": 404, "status": "Not Found"})


@pytest.fixture(scope="module")
def without_data_endpoints() -> dict:
    return run(only_users_and_campaign_lists)


@pytest.fixture(scope="module")
def with_wrong_data() -> dict:
    return run(careless_server())


class TestAServerWithoutTheDataEndpoints:
    @pytest.fixture
    def results(self, without_data_endpoints):
        return without_data_endpoints

    def test_every_figure_is_reported(self, results):
        assert set(results) == {figure.key for figure in bench_figures.FIGURES}

    def test_data_figures_are_unavailable_with_the_setup_status(self, results):
        for key in ("ingest_json_pts_per_s", "get_raw_csv_all_s", "agg_month_max_paris_s", "stats_s"):
            assert results[key].value is None
            assert results[key].detail == "setup failed: POST /campaigns/: HTTP 404"

    def test_the_endpoints_that_exist_are_measured(self, results):
        assert results["get_users_p50_ms"].value > 0
        assert results["list_campaigns_p50_ms"].value > 0

    def test_a_missing_list_is_unavailable_with_its_status(self, results):
        assert results["concurrent16_list_ts_req_per_s"].value is None
        assert "HTTP 404" in results["concurrent16_list_ts_req_per_s"].detail


def careless_server() -> Callable[[httpx.Request], httpx.Response]:
    """Accepts everything, and answers every read with an empty object."""
    ids = itertools.count(1)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/timeseries_data/":
            return httpx.Response(201, json=None)
        if request.method == "POST":
            return httpx.Response(201, json={"id": next(ids)})
        if request.url.path == "/timeseries_data_states/":
            return httpx.Response(200, json=[{"id": 1, "name": "Raw"}])
        if request.url.path == "/timeseries_data/stats":
            stats = {str(i): {"count": 0, "max": None} for i in request.url.params.get_list("timeseries")}
            return httpx.Response(200, content=orjson.dumps({"stats": stats}))
        if request.headers.get("accept") == "text/csv":
            return httpx.Response(200, text="Datetime\n")
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json={} if "timeseries_data" in request.url.path else [])

    return handler


class TestAServerThatAnswersWrongData:
    @pytest.fixture
    def results(self, with_wrong_data):
        return with_wrong_data

    @pytest.mark.parametrize(
        "key",
        [
            "get_raw_json_all_s",
            "get_raw_csv_all_s",
            "agg_hour_avg_utc_s",
            "agg_15min_count_utc_s",
            "agg_day_sum_paris_s",
            "agg_month_max_paris_s",
        ],
    )
    def test_a_fast_empty_answer_is_wrong(self, results, key):
        figure = bench_figures.FIGURES_BY_KEY[key]
        assert bench_figures.verdict(figure, results[key]) == "wrong"
        assert results[key].detail.startswith("wrong")

    def test_stats_that_count_no_point_are_wrong(self, results):
        figure = bench_figures.FIGURES_BY_KEY["stats_s"]
        assert bench_figures.verdict(figure, results["stats_s"]) == "wrong"

    def test_accepted_writes_are_measured(self, results):
        assert results["ingest_json_pts_per_s"].value > 0
        assert results["small_post_p50_ms"].value > 0
