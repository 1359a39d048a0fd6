#!/usr/bin/env python3
"""The BEMServer benchmark: the standard workload against any BEMServer-compatible API, on loopback.

    python bench/bemserver_bench.py --start-server [--workers N] [--json FILE]
    python bench/bemserver_bench.py http://127.0.0.1:8000 --email E --password P [--json FILE]

It creates its own campaign, scope and timeseries through the API, loads `--timeseries` x `--days`
x 144 ten-minute points, measures the figures of issue 4, prints them as a table (and as JSON with
--json) next to the targets and the reference's figures, then deletes its campaign (unless --keep).
It needs only httpx and orjson; bench/README.md explains every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

# --- Figures, targets (issue 4) and the reference's figures (bemserver-api 0.27, 2 gunicorn workers) ---


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    target: float | None = None
    reference: float | None = None


FIGURES = (
    Figure("ingest_json_pts_per_s", "bulk ingest, JSON", "points/s", True, 200_000, 5_483),
    Figure("ingest_csv_pts_per_s", "bulk ingest, CSV", "points/s", True, 200_000, 6_279),
    Figure("small_post_p50_ms", "one-point POST, median", "ms", False, 5, 23.4),
    Figure("get_raw_json_all_s", "GET all raw points, JSON", "s", False, 1.0, 16.26),
    Figure("get_raw_csv_all_s", "GET all raw points, CSV", "s", False, 1.0, 14.27),
    Figure("agg_hour_avg_utc_s", "aggregate hour avg, UTC", "s", False, 0.3, 3.14),
    Figure("agg_hour_avg_paris_s", "aggregate hour avg, Europe/Paris", "s", False, 0.3, 2.91),
    Figure("agg_15min_count_utc_s", "aggregate 15-minute count, UTC", "s", False, 0.6, 15.09),
    Figure("agg_day_sum_paris_s", "aggregate day sum, Europe/Paris", "s", False, 0.2, 0.54),
    Figure("agg_month_max_paris_s", "aggregate month max, Europe/Paris", "s", False, 0.2, 0.42),
    Figure("stats_s", "stats", "s", False, 0.05, 0.15),
    Figure("list_campaigns_p50_ms", "GET /campaigns/, median", "ms", False, None, 8.2),
    Figure("get_users_p50_ms", "GET /users/, median", "ms", False, 3, None),
    Figure("concurrent16_list_ts_req_per_s", "16 clients listing /timeseries/", "req/s", True, 600, 82),
    Figure("rss_before_export_mib", "server RSS before the export", "MiB", False),
    Figure("rss_peak_export_mib", "server RSS peak during the export", "MiB", False),
    Figure("rss_after_export_mib", "server RSS after the export", "MiB", False),
)
FIGURES_BY_KEY = {figure.key: figure for figure in FIGURES}
STANDARD_WORKLOAD = {"timeseries": 10, "days": 365}
CLIENTS = 16
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
POINTS_PER_DAY = 144  # one every 10 minutes


@dataclass
class Result:
    """One measured figure: a value, or None with the reason (HTTP status, error) in `detail`."""

    value: float | None = None
    detail: str = ""
    wrong: bool = False  # the server answered, but not with the data that was written


def verdict(figure: Figure, result: Result) -> str:
    if result.value is None:
        return "n/a"
    if result.wrong:
        return "wrong"
    if figure.target is None:
        return ""
    ok = result.value >= figure.target if figure.higher_is_better else result.value <= figure.target
    return "pass" if ok else "fail"


def gain(figure: Figure, result: Result) -> float | None:
    """How many times better than the reference (>1 is better), when both figures exist."""
    if result.value is None or not figure.reference or not result.value:
        return None
    if figure.higher_is_better:
        return result.value / figure.reference
    return figure.reference / result.value


# --- Server memory, read from /proc -------------------------------------------------------------


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])  # after "pid (comm) state"


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (uvicorn workers included)."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid in _all_pids():
        parent = _parent_of(pid)
        if parent is not None:
            children[parent].append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
            return 0  # the database is not the server process (and shares its buffers)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_mib(root: int) -> float | None:
    """Resident memory of the process tree rooted at `root`, postgres excluded; None if it is gone."""
    if not Path(f"/proc/{root}").exists():
        return None
    return round(sum(_rss_kib(pid) for pid in process_tree(root)) / 1024, 1)


def listening_pid(port: int) -> int | None:
    """The top process of the tree listening on TCP `port` (found through /proc), if visible to us."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    owners = set()
    for pid in _all_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                owners.add(pid)
        except OSError:
            continue
    tops = sorted(pid for pid in owners if _parent_of(pid) not in owners)
    return tops[0] if tops else None


class RssSampler:
    """Samples the tree's RSS every 20 ms in a thread, keeping the peak."""

    def __init__(self, root: int | None) -> None:
        self.root, self.peak = root, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set() and self.root is not None:
            rss = tree_rss_mib(self.root)
            if rss is not None:
                self.peak = rss if self.peak is None else max(self.peak, rss)
            self._stop.wait(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- Starting and stopping `bemserver serve` -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ManagedServer:
    """`bemserver serve` on a free loopback port, in a temporary folder (data, log, embedded PostgreSQL)."""

    def __init__(self, command: str, workers: int, database_url: str | None) -> None:
        self.command, self.workers, self.database_url = command, workers, database_url
        self.folder = Path(tempfile.mkdtemp(prefix="bemserver-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.email, self.password = "bench@localhost", secrets.token_urlsafe(16)
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)  # other BEMSERVER_* settings (pool size...) pass through
        env.pop("BEMSERVER_DATABASE_URL", None)
        env |= {
            "BEMSERVER_DATA_DIR": str(self.folder / "data"),
            "BEMSERVER_SECRET_KEY": secrets.token_urlsafe(48),
            "BEMSERVER_ADMIN_EMAIL": self.email,
            "BEMSERVER_ADMIN_PASSWORD": self.password,
            "BEMSERVER_LOG_LEVEL": "warning",
        }
        if self.database_url:
            env["BEMSERVER_DATABASE_URL"] = self.database_url
        return env

    def start(self, timeout: float = 180) -> None:
        log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            [self.command, "serve", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=self.folder,  # no stray .env file is read
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the benchmark, which then stops the server
        )
        log.close()
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SetupError(f"the server exited at start-up:\n{self.log_tail()}")
                try:
                    if http.get("/about/").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise SetupError(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def create_user(self) -> None:
        """On a database that already has users, the start-up admin is not created: add one."""
        self.email = f"bench-{secrets.token_hex(4)}@localhost"
        done = subprocess.run(
            [
                self.command,
                "users",
                "create",
                "--admin",
                "--name",
                "Benchmark",
                "--email",
                self.email,
                "--password",
                self.password,
            ],
            cwd=self.folder,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode:
            raise SetupError(f"'bemserver users create' failed: {done.stderr.strip()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> str:
        """SIGTERM (the server stops its embedded PostgreSQL), SIGKILL after 60 s; returns a problem or ""."""
        problem = ""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
                problem = "the server ignored SIGTERM for 60 s and was killed"
        problem = self._stop_orphan_postgres() or problem
        shutil.rmtree(self.folder, ignore_errors=True)
        return problem

    def _stop_orphan_postgres(self) -> str:
        """Should the server have died without stopping its embedded PostgreSQL, stop that one."""
        try:
            pid = int((self.folder / "data" / "postgres" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return ""
        if not Path(f"/proc/{pid}").exists():
            return ""
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        for _ in range(300):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        return "the embedded PostgreSQL outlived the server and was stopped"


class SetupError(RuntimeError):
    """The benchmark cannot run at all (server down, login refused...)."""


# --- The API client ---------------------------------------------------------------------------


class Api:
    """httpx on the base URL, logged in with a Bearer token (Basic when /auth/token is absent)."""

    def __init__(self, base_url: str, email: str, password: str, timeout: float) -> None:
        self.base_url, self.email, self.password = base_url, email, password
        self.http = httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)

    def login(self) -> None:
        try:
            response = self.http.post("/auth/token", json={"email": self.email, "password": self.password})
        except httpx.HTTPError as exc:
            raise SetupError(f"cannot reach {self.base_url}: {type(exc).__name__} {exc}") from None
        if response.status_code in (404, 405):
            self.http.auth = httpx.BasicAuth(self.email, self.password)
            return
        body = response.json() if response.status_code == 200 else {}
        if body.get("status") != "success":
            raise SetupError(
                f"login refused for {self.email}: HTTP {response.status_code} {response.text[:200]}"
            )
        self.http.headers["Authorization"] = f"Bearer {body['access_token']}"

    def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        response = self.http.request(method, path, **options)
        if response.status_code == 401 and "Authorization" in self.http.headers:
            self.login()  # the access token expired during a long run
            response = self.http.request(method, path, **options)
        return response

    def timed(self, method: str, path: str, **options: Any) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = self.call(method, path, **options)
        return time.perf_counter() - started, response

    def close(self) -> None:
        self.http.close()


def status_text(response: httpx.Response) -> str:
    message = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("errors") or "")
    except ValueError:
        pass
    return f"HTTP {response.status_code}" + (f": {message[:120]}" if message else "")


# --- The workload -------------------------------------------------------------------------------


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
        bodies.append(("\n".join(lines) + "\n").encode(), (high - low) * len(indexes))
    return bodies


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
    def __init__(self, api: Api, options: Options, server_pid: int | None) -> None:
        self.api, self.options, self.server_pid = api, options, server_pid
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
            states = self.api.call("GET", "/timeseries_data_states/")
            if states.status_code != 200:
                raise SetupError(f"GET /timeseries_data_states/: {status_text(states)}")
            self.state_id = next(s["id"] for s in states.json() if s["name"].lower() == "raw")
            self.data = Dataset(ids, self.options.days)
        except SetupError as exc:
            self.setup_problem = f"setup failed: {exc}"
            say(self.setup_problem)

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
        return Result(round(points / elapsed), f"{points:,} points in {len(bodies)} requests")

    def small_posts(self) -> Result:
        assert self.data is not None
        later = START + dt.timedelta(days=self.data.days + 1)  # outside the range read back
        series, latencies = str(self.data.ids[0]), []
        deadline = time.monotonic() + self.options.budget_seconds
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
        return Result(round(statistics.median(latencies) * 1000, 2), f"{len(latencies)} requests")

    def best_get(
        self, path: str, params: dict[str, Any], check: Callable[[httpx.Response], str], accept: str
    ) -> Result:
        """Best time of `repeat` GETs (fewer when slow); the last answer must pass `check`."""
        best, deadline = None, time.monotonic() + self.options.budget_seconds
        for _ in range(self.options.repeat):
            took, response = self.api.timed("GET", path, params=params, headers={"Accept": accept})
            if response.status_code != 200:
                return Result(detail=f"{status_text(response)} after {took:.2f} s")
            best = took if best is None else min(best, took)
            if time.monotonic() > deadline:
                break
        problem = check(response)
        return Result(round(best, 4), problem or f"{len(response.content):,} bytes", wrong=bool(problem))

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
        if columns != len(self.data.ids) + 1 or len(lines) - 1 != self.data.per_series:
            return f"wrong: {len(lines) - 1:,} rows x {columns} columns"
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
        counts = {len(values) for values in self.buckets(response)}
        return "" if counts == {self.data.days * 24} else f"wrong: {sorted(counts)} hourly buckets per series"

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
        for _ in range(self.options.small_requests):
            took, response = self.api.timed("GET", path)
            if response.status_code != 200:
                return Result(detail=status_text(response))
            latencies.append(took)
            if time.monotonic() > deadline:
                break
        return Result(round(statistics.median(latencies) * 1000, 2), f"{len(latencies)} requests")

    def concurrent_list(self) -> Result:
        self.api.call("GET", "/about/")  # refreshes an expiring token first, if need be
        params = {"campaign_id": self.campaign_id} if self.campaign_id is not None else {}
        statuses, elapsed = asyncio.run(
            concurrent_gets(self.api, "/timeseries/", params, CLIENTS, self.options.concurrent_seconds)
        )
        done = statuses.pop(200, 0)
        failures = ", ".join(
            f"{count} x {'HTTP ' if isinstance(what, int) else ''}{what}" for what, count in statuses.items()
        )
        if not done:
            return Result(detail=f"no successful request ({failures})")
        detail = f"{done:,} requests in {elapsed:.1f} s" + (f"; failures: {failures}" if failures else "")
        return Result(round(done / elapsed, 1), detail, wrong=bool(failures))


RSS_KEYS = ("rss_before_export_mib", "rss_peak_export_mib", "rss_after_export_mib")


async def concurrent_gets(
    api: Api, path: str, params: dict[str, Any], clients: int, seconds: float
) -> tuple[Counter[Any], float]:
    """`clients` loops, each on its own connection, GETting `path` until the time is up."""
    statuses: Counter[Any] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=api.base_url,
        headers=dict(api.http.headers),
        auth=api.http.auth,
        timeout=api.http.timeout,
        limits=limits,
        trust_env=False,
    ) as http:

        async def client() -> None:
            while time.perf_counter() < deadline:
                try:
                    statuses[(await http.get(path, params=params)).status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1

        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client() for _ in range(clients)))
        return statuses, time.perf_counter() - started


# --- Report -------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}" if value < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _target(figure: Figure) -> str:
    if figure.target is None:
        return ""
    return ("≥ " if figure.higher_is_better else "≤ ") + _number(figure.target)


def table(results: dict[str, Result]) -> str:
    header = ("figure", "unit", "value", "target", "verdict", "reference", "x reference", "detail")
    rows = [header]
    for figure in FIGURES:
        result = results.get(figure.key, Result(detail="not measured"))
        ratio = gain(figure, result)
        rows.append(
            (
                figure.label,
                figure.unit,
                _number(result.value),
                _target(figure),
                verdict(figure, result),
                _number(figure.reference) if figure.reference else "",
                f"{ratio:.1f}" if ratio else "",
                result.detail,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if 2 <= i <= 6 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join(cells) + "  " + row[-1])
    return "\n".join(line.rstrip() for line in lines)


def report(results: dict[str, Result], context: dict[str, Any]) -> dict[str, Any]:
    figures = {}
    for figure in FIGURES:
        result = results.get(figure.key, Result(detail="not measured"))
        ratio = gain(figure, result)
        figures[figure.key] = {
            "label": figure.label,
            "unit": figure.unit,
            "value": result.value,
            "target": figure.target,
            "higher_is_better": figure.higher_is_better,
            "verdict": verdict(figure, result) or None,
            "reference": figure.reference,
            "times_reference": round(ratio, 2) if ratio else None,
            "detail": result.detail,
        }
    return context | {"figures": figures}


# --- Command line -------------------------------------------------------------------------------


def loadavg() -> list[float] | None:
    try:
        return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bounded(kind: type, low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark a BEMServer-compatible API on this machine (loopback only).",
        epilog="Figures and targets: bench/README.md.",
    )
    parser.add_argument("base_url", nargs="?", help="e.g. http://127.0.0.1:8000 (omit with --start-server)")
    parser.add_argument("--email", help="login of an admin account on BASE_URL")
    parser.add_argument("--password", help="its password")
    server = parser.add_argument_group("starting the server")
    server.add_argument(
        "--start-server", action="store_true", help="run 'bemserver serve' on a free port, stop it at the end"
    )
    server.add_argument("--workers", type=_bounded(int, 1, 64), default=1, help="its worker processes (1)")
    server.add_argument(
        "--database-url",
        default=os.environ.get("BEMSERVER_DATABASE_URL") or None,
        help="its database (default: $BEMSERVER_DATABASE_URL, else an embedded PostgreSQL in a temp folder)",
    )
    server.add_argument("--bemserver", help="the bemserver command (default: next to this Python, else PATH)")
    server.add_argument(
        "--server-pid", type=int, help="process to measure the RSS of (default: found by port)"
    )
    load = parser.add_argument_group("workload")
    load.add_argument("--timeseries", type=_bounded(int, 2, 1000), default=10, help="timeseries (10)")
    load.add_argument("--days", type=_bounded(int, 1, 3660), default=365, help="days of 10-minute data (365)")
    load.add_argument(
        "--chunk", type=_bounded(int, 100, 1_000_000), default=50_000, help="points per bulk POST (50000)"
    )
    load.add_argument(
        "--quick", action="store_true", help="fewer repetitions: 1 GET each, 50 small requests, 3 s"
    )
    load.add_argument("--repeat", type=_bounded(int, 1, 20), help="GET repetitions, the best is kept (3)")
    load.add_argument(
        "--small-requests", type=_bounded(int, 1, 100_000), help="small requests per median (200)"
    )
    load.add_argument(
        "--concurrent-seconds", type=_bounded(float, 0.5, 600), help="duration of the 16-client test (8)"
    )
    load.add_argument("--timeout", type=_bounded(float, 1, 3600), default=300, help="per request, in s (300)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--keep", action="store_true", help="do not delete the benchmark campaign at the end")
    arguments = parser.parse_args(argv)
    if arguments.start_server == bool(arguments.base_url):
        parser.error("give either BASE_URL (with --email and --password) or --start-server")
    if arguments.base_url and not (arguments.email and arguments.password):
        parser.error("BASE_URL needs --email and --password")
    if arguments.base_url and not is_loopback(arguments.base_url):
        parser.error("only loopback servers are benchmarked (127.0.0.1, ::1, localhost)")
    quick = arguments.quick
    arguments.repeat = arguments.repeat or (1 if quick else 3)
    arguments.small_requests = arguments.small_requests or (50 if quick else 200)
    arguments.concurrent_seconds = arguments.concurrent_seconds or (3.0 if quick else 8.0)
    return arguments


def bemserver_command(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).parent / "bemserver"
    return str(beside) if beside.exists() else (shutil.which("bemserver") or "bemserver")


@contextmanager
def target_server(arguments: argparse.Namespace) -> Iterator[tuple[Api, int | None, dict[str, Any]]]:
    """The API to benchmark, logged in, with the server's pid and a description of it."""
    managed = None
    try:
        if arguments.start_server:
            managed = ManagedServer(
                bemserver_command(arguments.bemserver), arguments.workers, arguments.database_url
            )
            say(f"starting {managed.command} serve --workers {arguments.workers} on {managed.url}...")
            managed.start()
            api = Api(managed.url, managed.email, managed.password, arguments.timeout)
            try:
                api.login()
            except SetupError:
                if not arguments.database_url:
                    raise
                managed.create_user()
                api = Api(managed.url, managed.email, managed.password, arguments.timeout)
                api.login()
            pid = managed.process.pid if managed.process else None
            database = "given database" if arguments.database_url else "embedded PostgreSQL (temporary)"
            described = {
                "url": managed.url,
                "started": True,
                "workers": arguments.workers,
                "database": database,
            }
        else:
            api = Api(arguments.base_url.rstrip("/"), arguments.email, arguments.password, arguments.timeout)
            api.login()
            pid = arguments.server_pid or listening_pid(urlsplit(arguments.base_url).port or 80)
            described = {"url": api.base_url, "started": False}
        about = api.call("GET", "/about/")
        described["about"] = about.json() if about.status_code == 200 else None
        described["pid"] = pid
        yield api, pid, described
        api.close()
    finally:
        if managed is not None:
            problem = managed.stop()
            if problem:
                say(f"warning: {problem}")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    options = Options(
        timeseries=arguments.timeseries,
        days=arguments.days,
        chunk=arguments.chunk,
        repeat=arguments.repeat,
        small_requests=arguments.small_requests,
        concurrent_seconds=arguments.concurrent_seconds,
        budget_seconds=max(30.0, 3 * arguments.timeout / 10),
    )
    workload = {
        "timeseries": options.timeseries,
        "days": options.days,
        "points": options.timeseries * options.days * POINTS_PER_DAY,
        "chunk": options.chunk,
        "repeat": options.repeat,
        "small_requests": options.small_requests,
        "concurrent_clients": CLIENTS,
        "concurrent_seconds": options.concurrent_seconds,
        "standard": {"timeseries": options.timeseries, "days": options.days} == STANDARD_WORKLOAD,
    }
    machine = {"cpus": os.cpu_count(), "loadavg_at_start": loadavg()}
    started = time.monotonic()
    try:
        with target_server(arguments) as (api, pid, server):
            bench = Workload(api, options, pid)
            try:
                results = bench.run()
            finally:
                if not arguments.keep:
                    bench.clean_up()
    except SetupError as exc:
        say(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    machine["loadavg_at_end"] = loadavg()
    context = {
        "tool": "bemserver_bench",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "workload": workload,
        "server": server,
        "machine": machine,
    }
    document = report(results, context)
    title = (
        f"BEMServer benchmark: {options.timeseries} timeseries x {options.days} days = {workload['points']:,} points"
        f" on {server['url']}"
        + (f" (bemserver serve --workers {arguments.workers})" if arguments.start_server else "")
    )
    out = [
        title,
        f"{machine['cpus']} CPUs, load average at start {machine['loadavg_at_start']}, at end {machine['loadavg_at_end']}",
    ]
    if not workload["standard"]:
        out.append("Not the standard workload (10 x 365): verdicts and reference ratios are indicative only.")
    sys.stdout.write("\n".join([*out, "", table(results), ""]))
    if arguments.json:
        Path(arguments.json).write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
