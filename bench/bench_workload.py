"""The standard workload: its data set, the requests of each figure and the checks of their answers."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from bench_api import Api, SetupError, concurrent_gets, status_text
from bench_checks import AnswerChecks
from bench_data import START, Dataset, csv_bodies, json_bodies
from bench_figures import FIGURES_BY_KEY, Result
from bench_server import RssSampler, tree_cpu_seconds, tree_rss_mib

STANDARD_WORKLOAD = {"timeseries": 10, "days": 365}
CLIENTS = 16
# figure, bucket width, unit, aggregation, timezone, AnswerChecks method
AGGREGATES = (
    ("agg_hour_avg_utc_s", 1, "hour", "avg", "UTC", "hourly"),
    ("agg_hour_avg_paris_s", 1, "hour", "avg", "Europe/Paris", "hourly"),
    ("agg_15min_count_utc_s", 15, "minute", "count", "UTC", "count"),
    ("agg_day_sum_paris_s", 1, "day", "sum", "Europe/Paris", "total"),
    ("agg_month_max_paris_s", 1, "month", "max", "Europe/Paris", "maximum"),
)
RSS_KEYS = ("rss_before_export_mib", "rss_peak_export_mib", "rss_after_export_mib")


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _safely(measure: Callable[[], Result]) -> Result:
    """A figure that cannot be measured is n/a with the reason; it never stops the run."""
    try:
        return measure()
    except httpx.TimeoutException as exc:
        return Result(detail=f"timeout ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return Result(detail=f"{type(exc).__name__}: {exc}"[:160])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Result(detail=f"unexpected response ({type(exc).__name__}: {exc})"[:160])


@dataclass
class Options:
    timeseries: int
    days: int
    chunk: int
    repeat: int
    small_requests: int
    concurrent_seconds: float
    budget_seconds: float  # per figure made of repeated requests


class Workload:
    def __init__(
        self, api: Api, options: Options, server_pid: int | None, database_pid: int | None = None
    ) -> None:
        self.api, self.options, self.server_pid = api, options, server_pid
        self.database_pid = database_pid  # the embedded PostgreSQL's, when the benchmark started it
        self.results: dict[str, Result] = {}
        self.campaign_id: int | None = None
        self.data: Dataset | None = None
        self.checks: AnswerChecks | None = None
        self.state_id: int | None = None
        self.setup_problem = ""

    @property
    def answers(self) -> AnswerChecks:
        assert self.checks is not None, "data figures are measured only after a successful setup"
        return self.checks

    # Setup
    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.call("POST", path, json=body)
        if response.status_code != 201:
            raise SetupError(f"POST {path}: {status_text(response)}")
        return response.json()

    def set_up(self) -> None:
        suffix = secrets.token_hex(4)
        try:
            campaign = self.create("/campaigns/", {"name": f"bench-{suffix}", "timezone": "Europe/Paris"})
            self.campaign_id = campaign["id"]
            scope = self.create("/campaign_scopes/", {"name": "bench", "campaign_id": self.campaign_id})
            ids = [
                self.create(
                    "/timeseries/",
                    {
                        "name": f"bench-{i}",
                        "campaign_id": self.campaign_id,
                        "campaign_scope_id": scope["id"],
                        "unit_symbol": "°C",
                    },
                )["id"]
                for i in range(self.options.timeseries)
            ]
            self.state_id = self.raw_state_id()
            self.data = Dataset(ids, self.options.days)
            self.checks = AnswerChecks(self.data)
        except SetupError as exc:
            self.setup_problem = f"setup failed: {exc}"
            say(self.setup_problem)

    def raw_state_id(self) -> int:
        states = self.api.call("GET", "/timeseries_data_states/")
        if states.status_code != 200:
            say(
                f"GET /timeseries_data_states/: {status_text(states)}; using 1, the id the reference seeds Raw with"
            )
            return 1
        return next(state["id"] for state in states.json() if state["name"].lower() == "raw")

    def clean_up(self) -> None:
        if self.campaign_id is not None:
            response = self.api.call("DELETE", f"/campaigns/{self.campaign_id}", headers={"If-Match": "*"})
            if response.status_code != 204:
                say(f"warning: could not delete the benchmark campaign: {status_text(response)}")

    # Measurements
    def record(self, key: str, measure: Callable[[], Result], needs_data: bool = True) -> None:
        if needs_data and self.data is None:
            result = Result(detail=self.setup_problem)
        else:
            say(f"measuring {FIGURES_BY_KEY[key].label}...")
            result = _safely(measure)
        self.results[key] = result

    def run(self) -> dict[str, Result]:
        self.set_up()
        half = self.options.timeseries // 2
        self.record("ingest_json_pts_per_s", lambda: self.ingest("json", list(range(half))))
        self.record(
            "ingest_csv_pts_per_s", lambda: self.ingest("csv", list(range(half, self.options.timeseries)))
        )
        self.record("small_post_p50_ms", self.small_posts)
        self.exports()
        self.aggregates()
        self.record("stats_s", self.stats)
        self.record("list_campaigns_p50_ms", lambda: self.median_get("/campaigns/"), needs_data=False)
        self.record("get_users_p50_ms", lambda: self.median_get("/users/"), needs_data=False)
        self.record("concurrent16_list_ts_req_per_s", self.concurrent_list, needs_data=False)
        return self.results

    def ingest(self, kind: str, indexes: list[int]) -> Result:
        assert self.data is not None
        build = json_bodies if kind == "json" else csv_bodies
        bodies = build(self.data, indexes, self.options.chunk)  # built before the clock starts
        content_type = "application/json" if kind == "json" else "text/csv"
        points, elapsed = 0, 0.0
        # BENCH_IMPORT_PROGRESS=1: each POST names its import, so that the server reports its progress
        follow = os.environ.get("BENCH_IMPORT_PROGRESS") == "1"
        for number, (body, count) in enumerate(bodies):
            headers = {"Content-Type": content_type}
            if follow:
                headers["X-Import-Id"] = f"bench-{kind}-{number}-{time.time_ns()}"
            took, response = self.api.timed(
                "POST",
                "/timeseries_data/",
                params={"data_state": self.state_id},
                content=body,
                headers=headers,
            )
            if response.status_code != 201:
                return Result(detail=status_text(response))
            points, elapsed = points + count, elapsed + took
        return Result(round(points / elapsed), f"{points:,} points in {plural(len(bodies), 'request')}")

    def small_posts(self) -> Result:
        assert self.data is not None
        later = START + dt.timedelta(days=self.data.days + 1)  # outside the range read back
        series, latencies = str(self.data.ids[0]), []
        deadline, before = time.monotonic() + self.options.budget_seconds, self.cpu_times()
        for k in range(self.options.small_requests):
            body = orjson.dumps({series: {(later + dt.timedelta(minutes=k)).isoformat(): 1.0}})
            took, response = self.api.timed(
                "POST",
                "/timeseries_data/",
                params={"data_state": self.state_id},
                content=body,
                headers={"Content-Type": "application/json"},
            )
            if response.status_code != 201:
                return Result(detail=status_text(response))
            latencies.append(took)
            if time.monotonic() > deadline:
                break
        return self.latency_result(latencies, before)

    def best_get(
        self, path: str, params: dict[str, Any], check: Callable[[httpx.Response], str], accept: str
    ) -> Result:
        """Best time of `repeat` GETs (fewer when slow); the last answer must pass `check`.

        The first time is kept too: it includes any work a server defers to the first reader."""
        times: list[float] = []
        deadline = time.monotonic() + self.options.budget_seconds
        for _ in range(self.options.repeat):
            took, response = self.api.timed("GET", path, params=params, headers={"Accept": accept})
            if response.status_code != 200:
                return Result(detail=status_text(response) + (f" after {took:.1f} s" if took > 1 else ""))
            times.append(took)
            if time.monotonic() > deadline:
                break
        problem = check(response)
        detail = problem or f"{len(response.content):,} bytes"
        if len(times) > 1:
            detail += f"; first of {len(times)}: {times[0]:.3f} s"
        extra = {"first_s": round(times[0], 4), "runs": len(times)}
        return Result(round(min(times), 4), detail, wrong=bool(problem), extra=extra)

    def range_params(self, **extra: Any) -> dict[str, Any]:
        assert self.data is not None
        return {
            "timeseries": self.data.ids,
            "start_time": START.isoformat(),
            "end_time": self.data.end,
            "data_state": self.state_id,
        } | extra

    def exports(self) -> None:
        self.results["rss_before_export_mib"] = self.rss()  # measured even without data: the idle server
        if self.data is None:
            for key in ("get_raw_json_all_s", "get_raw_csv_all_s", *RSS_KEYS[1:]):
                self.results[key] = Result(detail=self.setup_problem)
            return
        with RssSampler(self.server_pid) as sampler:
            self.record(
                "get_raw_json_all_s",
                lambda: self.best_get(
                    "/timeseries_data/", self.range_params(), self.answers.raw_json, "application/json"
                ),
            )
            self.record(
                "get_raw_csv_all_s",
                lambda: self.best_get(
                    "/timeseries_data/", self.range_params(), self.answers.raw_csv, "text/csv"
                ),
            )
        self.results["rss_peak_export_mib"] = (
            Result(sampler.peak) if sampler.peak is not None else Result(detail=self.rss().detail)
        )
        self.results["rss_after_export_mib"] = self.rss()

    def rss(self) -> Result:
        if self.server_pid is None:
            return Result(detail="server process not found (pass --server-pid)")
        rss = tree_rss_mib(self.server_pid)
        return Result(rss) if rss is not None else Result(detail=f"process {self.server_pid} is gone")

    def aggregates(self) -> None:
        for key, width, unit, aggregation, timezone, check in AGGREGATES:
            params = {
                "bucket_width_value": width,
                "bucket_width_unit": unit,
                "aggregation": aggregation,
                "timezone": timezone,
            }
            self.record(
                key,
                lambda params=params, check=check: self.best_get(
                    "/timeseries_data/aggregate",
                    self.range_params(**params),
                    getattr(self.answers, check),
                    "application/json",
                ),
            )

    def stats(self) -> Result:
        assert self.data is not None
        params = {"timeseries": self.data.ids, "data_state": self.state_id}
        return self.best_get("/timeseries_data/stats", params, self.answers.stats, "application/json")

    def median_get(self, path: str) -> Result:
        latencies, deadline = [], time.monotonic() + self.options.budget_seconds
        before = self.cpu_times()
        for _ in range(self.options.small_requests):
            took, response = self.api.timed("GET", path)
            if response.status_code != 200:
                return Result(detail=status_text(response))
            latencies.append(took)
            if time.monotonic() > deadline:
                break
        return self.latency_result(latencies, before)

    def latency_result(self, latencies: list[float], cpu_before: dict[str, float | None]) -> Result:
        """The median latency in ms, with the CPU time each request cost."""
        cpu = self.cpu_per_request(cpu_before, self.cpu_times(), len(latencies))
        detail = plural(len(latencies), "request") + describe_cpu(cpu)
        return Result(round(statistics.median(latencies) * 1000, 2), detail, extra=cpu)

    def concurrent_list(self) -> Result:
        self.api.call("GET", "/about/")  # refreshes an expiring token first, if need be
        params = {"campaign_id": self.campaign_id} if self.campaign_id is not None else {}
        before = self.cpu_times()
        statuses, elapsed = concurrent_gets(
            self.api.new_client, "/timeseries/", params, CLIENTS, self.options.concurrent_seconds
        )
        after = self.cpu_times()
        done = statuses.pop(200, 0)
        failures = ", ".join(
            f"{count} x {'HTTP ' if isinstance(what, int) else ''}{what}" for what, count in statuses.items()
        )
        if not done:
            return Result(detail=f"no successful request ({failures})")
        cpu = self.cpu_per_request(before, after, done + sum(statuses.values()))
        detail = f"{done:,} requests in {elapsed:.1f} s" + describe_cpu(cpu)
        if failures:
            detail += f"; failures: {failures}"
        return Result(round(done / elapsed, 1), detail, wrong=bool(failures), extra=cpu)

    @staticmethod
    def cpu_per_request(
        before: dict[str, float | None], after: dict[str, float | None], requests: int
    ) -> dict[str, float]:
        return {
            f"{who}_cpu_ms_per_request": round((end - start) * 1000 / requests, 2)
            for who, start in before.items()
            if start is not None and (end := after.get(who)) is not None
        }

    def cpu_times(self) -> dict[str, float | None]:
        """CPU seconds used so far by the server, its embedded database (if known) and this process."""
        return {
            "server": tree_cpu_seconds(self.server_pid) if self.server_pid else None,
            "database": tree_cpu_seconds(self.database_pid, postgres=True) if self.database_pid else None,
            "client": time.process_time(),
        }


def describe_cpu(cpu: dict[str, float]) -> str:
    parts = [f"{key.split('_')[0]} {ms} ms" for key, ms in cpu.items()]
    return "; CPU per request: " + ", ".join(parts) if parts else ""
