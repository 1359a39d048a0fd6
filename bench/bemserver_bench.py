#!/usr/bin/env python3
"""The BEMServer benchmark: the standard workload against any BEMServer-compatible API, on loopback.

    python bench/bemserver_bench.py --start-server [--workers N] [--json FILE]
    python bench/bemserver_bench.py http://127.0.0.1:8000 --email E --password P [--json FILE]

It creates its own campaign, scope and timeseries through the API, loads `--timeseries` x `--days`
x 144 ten-minute points, measures the figures of issue 4, prints them as a table (and as JSON with
--json) next to the targets and the reference's figures, then deletes its campaign (unless --keep).
With --events it also runs the events workload of issue 11 (bench_events; --no-data runs it alone).
It needs only httpx and orjson (the events workload: psycopg and aiosmtpd too); bench/README.md
explains every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from bench_api import Api, SetupError
from bench_calibration import timed_calibration
from bench_data import POINTS_PER_DAY
from bench_events import EventOptions, EventsWorkload
from bench_figures import EVENT_FIGURES, FIGURES, Result, report, table
from bench_server import ManagedServer, listening_pid
from bench_smtp import MailSink
from bench_workload import CLIENTS, STANDARD_WORKLOAD, Options, Workload, say


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
    events = parser.add_argument_group("events workload (issue 11)")
    events.add_argument("--events", action="store_true", help="also run the events workload (bench_events)")
    events.add_argument("--no-data", action="store_true", help="skip the timeseries data workload")
    events.add_argument(
        "--event-count",
        type=_bounded(int, 100, 100_000_000),
        help="bulk events, by SQL (1000000; quick 20000)",
    )
    events.add_argument(
        "--notification-count",
        type=_bounded(int, 2, 10_000_000),
        help="bulk notifications of one user, by SQL (100000; quick 10000)",
    )
    events.add_argument(
        "--users", type=_bounded(int, 1, 10_000), help="users notified of each event (200; quick 20)"
    )
    events.add_argument(
        "--event-posts",
        type=_bounded(int, 1, 10_000),
        help="POST /events/ for the fan-out median (20; quick 10)",
    )
    events.add_argument(
        "--smtp-port",
        type=_bounded(int, 1, 65535),
        help="run the SMTP sink on this port, for a server not started here whose mail goes to it",
    )
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
    if arguments.no_data and not arguments.events:
        parser.error("--no-data leaves nothing to measure without --events")
    arguments.event_count = arguments.event_count or (20_000 if quick else 1_000_000)
    arguments.notification_count = arguments.notification_count or (10_000 if quick else 100_000)
    if arguments.notification_count > arguments.event_count:
        parser.error("--notification-count cannot exceed --event-count (one notification per bulk event)")
    arguments.users = arguments.users or (20 if quick else 200)
    arguments.event_posts = arguments.event_posts or (10 if quick else 20)
    return arguments


def bemserver_command(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).parent / "bemserver"
    return str(beside) if beside.exists() else (shutil.which("bemserver") or "bemserver")


@contextmanager
def target_server(
    arguments: argparse.Namespace, mail_port: int | None = None
) -> Iterator[tuple[Api, int | None, dict[str, Any]]]:
    """The API to benchmark, logged in, with the server's pid and a description of it
    (`sql_url` in it: its database for direct SQL, when known)."""
    managed = None
    try:
        if arguments.start_server:
            managed = ManagedServer(
                bemserver_command(arguments.bemserver), arguments.workers, arguments.database_url
            )
            if mail_port is not None:  # its mails go to the benchmark's SMTP sink
                managed.extra_environment = {
                    "BEMSERVER_SMTP_HOST": "127.0.0.1",
                    "BEMSERVER_SMTP_PORT": str(mail_port),
                }
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
                "database_pid": managed.postmaster_pid(),
                "sql_url": managed.sql_database_url(),
            }
        else:
            api = Api(arguments.base_url.rstrip("/"), arguments.email, arguments.password, arguments.timeout)
            api.login()
            address = urlsplit(arguments.base_url)
            port = address.port or (443 if address.scheme == "https" else 80)
            pid = arguments.server_pid or listening_pid(port)
            described = {"url": api.base_url, "started": False, "sql_url": arguments.database_url}
        described["about"] = about(api)
        described["pid"] = pid
        yield api, pid, described
        api.close()
    finally:
        if managed is not None:
            problem = managed.stop()
            if problem:
                say(f"warning: {problem}")


def about(api: Api) -> Any:
    """What the server says it is (GET /about/), or None."""
    try:
        response = api.call("GET", "/about/")
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def describe_workload(options: Options) -> dict[str, Any]:
    return {
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


def checkout() -> str | None:
    """The commit of the checkout holding this script (what --start-server runs, in a dev venv)."""
    try:
        git = ["git", "-C", str(Path(__file__).resolve().parent)]
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode:
        return None
    return commit.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def header(document: dict[str, Any], workers: int | None) -> list[str]:
    workload, server, machine = document["workload"], document["server"], document["machine"]
    if workload.get("data", True):
        title = (
            f"BEMServer benchmark: {workload['timeseries']} timeseries x {workload['days']} days"
            f" = {workload['points']:,} points on {server['url']}"
        )
    else:
        title = f"BEMServer benchmark: events workload on {server['url']}"
    if workers:
        title += f" (bemserver serve --workers {workers}, checkout {server.get('checkout')})"
    lines = [
        title,
        f"{machine['cpus']} CPUs, load average at start {machine['loadavg_at_start']},"
        f" at end {machine['loadavg_at_end']}; {document['duration_s']} s",
    ]
    floor = document["calibration"]
    if "error" in floor:
        lines.append(f"The client's own floor could not be measured: {floor['error']}")
    else:
        lines.append(
            f"The client alone, against a server answering instantly: median {floor['client_median_ms']} ms,"
            f" {floor[f'client_concurrent{CLIENTS}_req_per_s']:,} req/s with {CLIENTS} threads"
        )
    if workload.get("data", True) and not workload["standard"]:
        lines.append(
            "Not the standard workload (10 x 365): verdicts and reference ratios are indicative only."
        )
    return lines


class Stopped(Exception):
    """SIGTERM or SIGHUP (`timeout`, a closed terminal): stop the run, but clean up like Ctrl-C does."""


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _stop)
    options = Options(
        timeseries=arguments.timeseries,
        days=arguments.days,
        chunk=arguments.chunk,
        repeat=arguments.repeat,
        small_requests=arguments.small_requests,
        concurrent_seconds=arguments.concurrent_seconds,
        budget_seconds=max(30.0, 3 * arguments.timeout / 10),
    )
    machine = {"cpus": os.cpu_count(), "loadavg_at_start": loadavg()}
    started = time.monotonic()
    sink = mail_sink(arguments)
    results: dict[str, Result] = {}
    events_workload: dict[str, Any] | None = None
    try:
        with target_server(arguments, sink.port if sink else None) as (api, pid, server):
            say("measuring the client's own floor against an instant server...")
            token = len(api.http.headers.get("Authorization", "")) or 200
            calibration = timed_calibration(token, arguments.quick, CLIENTS)
            if not arguments.no_data:
                bench = Workload(api, options, pid, server.get("database_pid"))
                try:
                    results |= bench.run()
                finally:
                    if not arguments.keep:
                        bench.clean_up()
            if arguments.events:
                events = EventsWorkload(
                    api,
                    event_options(arguments, server.get("sql_url"), sink),
                    pid,
                    server.get("database_pid"),
                )
                try:
                    results |= events.run()
                finally:
                    events_workload = events.describe()
                    if not arguments.keep:
                        say("deleting the events workload's rows...")
                        events.clean_up()
    except SetupError as exc:
        say(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except Stopped as exc:
        say(f"stopped by {exc}")
        return 143
    finally:
        if sink is not None:
            sink.stop()
    server.pop("sql_url", None)  # may hold a password
    machine["loadavg_at_end"] = loadavg()
    if arguments.start_server:
        server["checkout"] = checkout()
    context = {
        "tool": "bemserver_bench",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "workload": describe_workload(options) | {"data": not arguments.no_data},
        "events_workload": events_workload,
        "server": server,
        "machine": machine,
        "calibration": calibration,
    }
    shown = (() if arguments.no_data else FIGURES) + (EVENT_FIGURES if arguments.events else ())
    document = report(results, context, shown)
    workers = arguments.workers if arguments.start_server else None
    tables = []
    if not arguments.no_data:
        tables += ["", table(results)]
    if arguments.events:
        tables += ["", events_header(events_workload), table(results, EVENT_FIGURES)]
    sys.stdout.write("\n".join([*header(document, workers), *tables, ""]))
    if arguments.json:
        Path(arguments.json).write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def mail_sink(arguments: argparse.Namespace) -> MailSink | None:
    """The SMTP sink of the e-mail figure: for a server started here, or one whose mail goes to --smtp-port."""
    if not arguments.events or not (arguments.start_server or arguments.smtp_port):
        return None
    try:
        return MailSink(arguments.smtp_port or 0).start()
    except (ImportError, OSError, RuntimeError) as exc:
        say(f"warning: no SMTP sink ({type(exc).__name__}: {exc}); the e-mail figure is not measured")
        return None


def event_options(arguments: argparse.Namespace, sql_url: str | None, sink: MailSink | None) -> EventOptions:
    return EventOptions(
        events=arguments.event_count,
        notifications=arguments.notification_count,
        users=arguments.users,
        posts=arguments.event_posts,
        drain_posts=5 if arguments.quick else 10,
        requests=20 if arguments.quick else 100,
        stream_posts=5 if arguments.quick else 20,
        drain_timeout=30.0 if arguments.quick else 180.0,
        database_url=sql_url,
        mail_sink=sink,
    )


def events_header(described: dict[str, Any] | None) -> str:
    if not described:
        return "Events workload: not run"
    line = (
        f"Events workload: {described['events']:,} events, {described['notifications']:,} notifications of one"
        f" user, {described['users']} users notified of each of {described['posts']} + {described['drain_posts']}"
        " posted events"
    )
    bulk = described["bulk"]
    if isinstance(bulk, dict) and bulk:
        line += f"; bulk SQL {bulk.get('events_s')} s + {bulk.get('notifications_s')} s"
    elif bulk:
        line += f"; {bulk}"
    if not described["standard"]:
        line += (
            "\nNot the standard events workload (1,000,000 / 100,000 / 200): verdicts are indicative only."
        )
    return line


if __name__ == "__main__":
    sys.exit(main())
