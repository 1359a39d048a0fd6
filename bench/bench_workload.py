"""The standard workload: its data set, the requests of each figure and the checks of their answers."""

from __future__ import annotations

import datetime as dt
import math
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from bench_api import Api, SetupError, concurrent_gets, status_text
from bench_figures import FIGURES_BY_KEY, Result
from bench_server import RssSampler, tree_cpu_seconds, tree_rss_mib

STANDARD_WORKLOAD = {"timeseries": 10, "days": 365}
CLIENTS = 16
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
POINTS_PER_DAY = 144  # one every 10 minutes
RSS_KEYS = ("rss_before_export_mib", "rss_peak_export_mib", "rss_after_export_mib")


def value_of(series: int, k: int) -> float:
    """The k-th point of a series: a daily sine wave around 20 + series."""
    return round(20 + 5 * math.sin(k / POINTS_PER_DAY * 2 * math.pi) + series, 3)


@dataclass
class Dataset:
    """What is written, and the expectations it gives each read."""

    ids: list[int]
    days: int
    stamps: list[str] = field(init=False)

    def __post_init__(self) -> None:
        step = dt.timedelta(minutes=10)
        self.stamps = [(START + step * k).isoformat() for k in range(self.days * POINTS_PER_DAY)]

    @property
    def per_series(self) -> int:
        return len(self.stamps)

    @property
    def total(self) -> int:
        return self.per_series * len(self.ids)

    @property
    def end(self) -> str:
        return (START + dt.timedelta(days=self.days)).isoformat()

    def values(self, index: int) -> list[float]:
        return [value_of(index, k) for k in range(self.per_series)]


def json_bodies(data: Dataset, indexes: list[int], points_per_request: int) -> list[tuple[bytes, int]]:
    rows = max(1, points_per_request // len(indexes))
    bodies = []
    for low in range(0, data.per_series, rows):
        high = min(data.per_series, low + rows)
        body = {str(data.ids[i]): {data.stamps[k]: value_of(i, k) for k in range(low, high)} for i in indexes}
        bodies.append((orjson.dumps(body), (high - low) * len(indexes)))
    return bodies


def csv_bodies(data: Dataset, indexes: list[int], points_per_request: int) -> list[tuple[bytes, int]]:
    rows = max(1, points_per_request // len(indexes))
    header = "Datetime," + ",".join(str(data.ids[i]) for i in indexes)
    bodies = []
    for low in range(0, data.per_series, rows):
        high = min(data.per_series, low + rows)
        lines = [header]
        for k in range(low, high):
            lines.append(data.stamps[k] + "," + ",".join(str(value_of(i, k)) for i in indexes))
        bodies.append((("\n".join(lines) + "\n").encode(), (high - low) * len(indexes)))
    return bodies


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
        self.state_id: int | None = None
        self.setup_problem = ""

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
        for body, count in bodies:
            took, response = self.api.timed(
                "POST",
                "/timeseries_data/",
                params={"data_state": self.state_id},
                content=body,
                headers={"Content-Type": content_type},
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
                    "/timeseries_data/", self.range_params(), self.check_raw_json, "application/json"
                ),
            )
            self.record(
                "get_raw_csv_all_s",
                lambda: self.best_get(
                    "/timeseries_data/", self.range_params(), self.check_raw_csv, "text/csv"
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

    def check_raw_json(self, response: httpx.Response) -> str:
        assert self.data is not None
        got = sum(len(points) for points in orjson.loads(response.content).values())
        return "" if got == self.data.total else f"wrong: {got:,} points instead of {self.data.total:,}"

    def check_raw_csv(self, response: httpx.Response) -> str:
        assert self.data is not None
        lines = response.content.rstrip(b"\n").split(b"\n")
        columns = lines[0].count(b",") + 1
        values = sum(1 for line in lines[1:] for cell in line.split(b",")[1:] if cell.strip())
        if columns != len(self.data.ids) + 1 or values != self.data.total:
            return f"wrong: {values:,} values in {len(lines) - 1:,} rows x {columns} columns"
        return ""

    def aggregates(self) -> None:
        queries = (
            ("agg_hour_avg_utc_s", 1, "hour", "avg", "UTC", self.check_hourly),
            ("agg_hour_avg_paris_s", 1, "hour", "avg", "Europe/Paris", self.check_hourly),
            ("agg_15min_count_utc_s", 15, "minute", "count", "UTC", self.check_count),
            ("agg_day_sum_paris_s", 1, "day", "sum", "Europe/Paris", self.check_sum),
            ("agg_month_max_paris_s", 1, "month", "max", "Europe/Paris", self.check_max),
        )
        for key, width, unit, aggregation, timezone, check in queries:
            params = {
                "bucket_width_value": width,
                "bucket_width_unit": unit,
                "aggregation": aggregation,
                "timezone": timezone,
            }
            self.record(
                key,
                lambda params=params, check=check: self.best_get(
                    "/timeseries_data/aggregate", self.range_params(**params), check, "application/json"
                ),
            )

    def buckets(self, response: httpx.Response) -> list[list[float]]:
        """Each series' non-empty bucket values, in the order of the ids."""
        assert self.data is not None
        body = orjson.loads(response.content)
        return [[v for v in body.get(str(i), {}).values() if v is not None] for i in self.data.ids]

    def check_hourly(self, response: httpx.Response) -> str:
        assert self.data is not None
        buckets = self.buckets(response)
        counts = {len(values) for values in buckets}
        if counts != {self.data.days * 24}:
            return f"wrong: {sorted(counts)} hourly buckets per series"
        for index, values in enumerate(buckets):  # 6 points an hour: the mean of the means is the mean
            expected = math.fsum(self.data.values(index)) / self.data.per_series
            if not math.isclose(math.fsum(values) / len(values), expected, rel_tol=1e-9):
                return f"wrong: hourly averages of series {self.data.ids[index]}"
        return ""

    def check_count(self, response: httpx.Response) -> str:
        assert self.data is not None
        got = sum(sum(values) for values in self.buckets(response))
        return (
            "" if got == self.data.total else f"wrong: counted {got:,} points instead of {self.data.total:,}"
        )

    def check_sum(self, response: httpx.Response) -> str:
        assert self.data is not None
        for index, values in enumerate(self.buckets(response)):
            expected = math.fsum(self.data.values(index))
            if not math.isclose(math.fsum(values), expected, rel_tol=1e-9):
                return f"wrong: series {self.data.ids[index]} sums to {math.fsum(values)}, not {expected}"
        return ""

    def check_max(self, response: httpx.Response) -> str:
        assert self.data is not None
        for index, values in enumerate(self.buckets(response)):
            if not values or max(values) != max(self.data.values(index)):
                return f"wrong: maximum of series {self.data.ids[index]}"
        return ""

    def stats(self) -> Result:
        assert self.data is not None
        params = {"timeseries": self.data.ids, "data_state": self.state_id}
        return self.best_get("/timeseries_data/stats", params, self.check_stats, "application/json")

    def check_stats(self, response: httpx.Response) -> str:
        assert self.data is not None
        stats = orjson.loads(response.content)["stats"]
        for index, series in enumerate(self.data.ids):
            got = stats[str(series)]
            if got["count"] < self.data.per_series or got["max"] < max(self.data.values(index)):
                return f"wrong: stats of series {series}"
        return ""

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
