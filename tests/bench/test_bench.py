"""The benchmark command (bench/bemserver_bench.py): a tiny --quick run against a server it starts itself,
plus its pure helpers. It keeps the documented command from rotting; it measures nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.modules import SCRIPT, load

bench = load("bemserver_bench")
bench_figures = load("bench_figures")
bench_server = load("bench_server")


def run_bench(*args: str, tmp: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    env["TMPDIR"] = str(tmp)  # the benchmark's temporary server folder goes there
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and text in cmdline:
            found.append(int(entry))
    return found


QUICK = ("--start-server", "--quick", "--timeseries", "2", "--days", "1")
TINY = ("--small-requests", "5", "--concurrent-seconds", "1", "--chunk", "200")
# the events workload, tiny: 5 users notified of 3 events, 2,000 bulk events by SQL
TINY_EVENTS = (
    "--events",
    "--event-count",
    "2000",
    "--notification-count",
    "1000",
    "--users",
    "5",
    "--event-posts",
    "3",
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], dict, Path]:
    tmp = tmp_path_factory.mktemp("bench")
    done = run_bench(*QUICK, *TINY, *TINY_EVENTS, "--json", str(tmp / "figures.json"), tmp=tmp)
    figures = json.loads((tmp / "figures.json").read_text()) if done.returncode == 0 else {}
    return done, figures, tmp


@pytest.mark.slow
class TestQuickRunOnAStartedServer:
    def test_it_exits_with_success(self, quick_run):
        done, _, _ = quick_run
        assert done.returncode == 0, done.stderr

    def test_the_table_shows_every_figure(self, quick_run):
        done, _, _ = quick_run
        for figure in (*bench_figures.FIGURES, *bench_figures.EVENT_FIGURES):
            assert figure.label in done.stdout

    def test_the_json_gives_each_figure_a_value_or_a_reason(self, quick_run):
        _, document, _ = quick_run
        shown = (*bench_figures.FIGURES, *bench_figures.EVENT_FIGURES)
        assert list(document["figures"]) == [figure.key for figure in shown]
        for key, figure in document["figures"].items():
            assert figure["value"] is not None or figure["detail"], key

    def test_a_figure_is_missing_only_when_the_server_lacks_its_endpoint(self, quick_run):
        _, document, _ = quick_run
        missing_endpoint = re.compile(
            r"(setup failed: .*)?HTTP 40[45]\b|^no successful request \(\d+ x HTTP 40[45]\)$"
        )
        for key, figure in document["figures"].items():
            if figure["value"] is None:
                assert missing_endpoint.search(figure["detail"]), (key, figure["detail"])

    def test_no_figure_comes_from_wrong_data(self, quick_run):
        _, document, _ = quick_run
        wrong = {key: f["detail"] for key, f in document["figures"].items() if f["verdict"] == "wrong"}
        assert wrong == {}

    def test_small_requests_and_server_memory_are_measured(self, quick_run):
        _, document, _ = quick_run
        figures = document["figures"]
        assert figures["get_users_p50_ms"]["value"] > 0
        assert figures["rss_before_export_mib"]["value"] > 10

    def test_the_json_describes_the_workload_and_the_server(self, quick_run):
        _, document, _ = quick_run
        assert document["workload"]["points"] == 2 * 144
        assert document["workload"]["standard"] is False
        assert document["server"]["started"] is True and document["server"]["workers"] == 1

    def test_every_events_figure_is_measured_on_our_server(self, quick_run):
        _, document, _ = quick_run
        for figure in bench_figures.EVENT_FIGURES:
            assert document["figures"][figure.key]["value"] is not None, document["figures"][figure.key]
        assert document["events_workload"]["bulk"]["events_table"] == "events"
        assert document["events_workload"]["bulk"]["notifications_table"] == "notifications"

    def test_the_client_floor_and_the_cpu_per_request_are_measured(self, quick_run):
        _, document, _ = quick_run
        assert document["calibration"]["client_median_ms"] > 0
        assert document["calibration"]["client_concurrent16_req_per_s"] > 0
        users = document["figures"]["get_users_p50_ms"]
        assert users["server_cpu_ms_per_request"] > 0 and users["database_cpu_ms_per_request"] >= 0

    def test_the_server_and_its_postgres_are_stopped_and_removed(self, quick_run):
        _, _, tmp = quick_run
        assert processes_mentioning(str(tmp)) == []
        assert list(tmp.glob("bemserver-bench-*")) == []


@pytest.mark.slow
class TestStoppedRun:
    def test_sigterm_stops_the_started_server_and_removes_its_folder(self, tmp_path_factory):
        tmp_path = tmp_path_factory.mktemp("stop")  # short: PostgreSQL's socket path has a length limit
        env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *QUICK, "--days", "30"],
            cwd=tmp_path,
            env=env | {"TMPDIR": str(tmp_path)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stderr is not None
            seen = []
            for line in process.stderr:  # wait until the workload runs against the started server
                seen.append(line)
                if line.startswith("measuring bulk ingest"):
                    break
            process.send_signal(signal.SIGTERM)
            _, rest = process.communicate(timeout=90)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 143, "".join(seen) + rest
        assert "stopped by SIGTERM" in rest
        assert processes_mentioning(str(tmp_path)) == []
        assert list(tmp_path.glob("bemserver-bench-*")) == []


class TestCommandLine:
    def test_a_remote_server_is_refused(self, tmp_path):
        done = run_bench("http://192.0.2.1:8000", "--email", "a@b.c", "--password", "x", tmp=tmp_path)
        assert done.returncode == 2
        assert "only loopback servers" in done.stderr

    def test_a_url_and_start_server_together_are_refused(self):
        with pytest.raises(SystemExit):
            bench.parse_arguments(["http://127.0.0.1:1", "--start-server"])

    def test_a_single_timeseries_is_refused(self):
        with pytest.raises(SystemExit):
            bench.parse_arguments(["--start-server", "--timeseries", "1"])

    def test_quick_lowers_the_repetitions(self):
        arguments = bench.parse_arguments(["--start-server", "--quick"])
        assert (arguments.repeat, arguments.small_requests, arguments.concurrent_seconds) == (1, 50, 3.0)

    def test_an_unreachable_server_is_a_clear_error(self, tmp_path):
        port = bench_server.free_port()
        done = run_bench(f"http://127.0.0.1:{port}", "--email", "a@b.c", "--password", "x", tmp=tmp_path)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines()[-1].startswith("error: cannot reach")


class TestLoopback:
    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]:80", "https://127.0.0.2/"]
    )
    def test_loopback_urls_are_accepted(self, url):
        assert bench.is_loopback(url)

    @pytest.mark.parametrize(
        "url", ["http://10.0.0.1:8000", "http://example.com", "ftp://127.0.0.1", "127.0.0.1:80"]
    )
    def test_other_urls_are_refused(self, url):
        assert not bench.is_loopback(url)


class TestVerdicts:
    def test_a_throughput_passes_at_its_target(self):
        figure = bench_figures.FIGURES_BY_KEY["ingest_json_pts_per_s"]
        assert bench_figures.verdict(figure, bench_figures.Result(200_000)) == "pass"
        assert bench_figures.verdict(figure, bench_figures.Result(199_999)) == "fail"

    def test_a_duration_passes_at_its_target(self):
        figure = bench_figures.FIGURES_BY_KEY["stats_s"]
        assert bench_figures.verdict(figure, bench_figures.Result(0.05)) == "pass"
        assert bench_figures.verdict(figure, bench_figures.Result(0.051)) == "fail"

    def test_a_missing_or_wrong_figure_never_passes(self):
        figure = bench_figures.FIGURES_BY_KEY["stats_s"]
        assert bench_figures.verdict(figure, bench_figures.Result(detail="HTTP 404")) == "n/a"
        assert bench_figures.verdict(figure, bench_figures.Result(0.01, wrong=True)) == "wrong"

    def test_the_gain_over_the_reference_is_above_one_when_better(self):
        assert bench_figures.gain(
            bench_figures.FIGURES_BY_KEY["stats_s"], bench_figures.Result(0.075)
        ) == pytest.approx(2.0)
        ingest = bench_figures.FIGURES_BY_KEY["ingest_csv_pts_per_s"]
        assert bench_figures.gain(ingest, bench_figures.Result(62_790)) == pytest.approx(10.0)


class TestProcessMemory:
    def test_the_tree_of_this_process_has_a_resident_size(self):
        assert bench_server.tree_rss_mib(os.getpid()) > 1

    def test_a_gone_process_has_none(self):
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        assert bench_server.tree_rss_mib(child.pid) is None

    def test_the_listening_process_is_found_by_port(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            assert bench_server.listening_pid(sock.getsockname()[1]) == os.getpid()


class TestCalibration:
    def test_a_floor_that_cannot_be_measured_is_reported_not_raised(self, monkeypatch):
        calibration = load("bench_calibration")
        monkeypatch.setattr(calibration, "INSTANT_SERVER", "raise SystemExit(1)")
        assert calibration.timed_calibration(200, True, 16)["error"].startswith("ValueError")
