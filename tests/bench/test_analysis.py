"""The analysis workload, tiny, on a started server: every figure measured from right answers."""

from __future__ import annotations

import json

import pytest

from tests.bench.modules import load
from tests.bench.test_bench import run_bench

bench_figures = load("bench_figures")

TINY_ANALYSIS = (
    "--start-server",
    "--quick",
    "--no-data",
    "--analysis",
    "--analysis-timeseries",
    "3",
    "--analysis-days",
    "2",
)


@pytest.mark.slow
def test_every_analysis_figure_is_measured_on_our_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("an")  # short: PostgreSQL's socket lives under it
    done = run_bench(*TINY_ANALYSIS, "--json", str(tmp_path / "figures.json"), tmp=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "figures.json").read_text())
    assert list(document["figures"]) == [figure.key for figure in bench_figures.ANALYSIS_FIGURES]
    for key, figure in document["figures"].items():
        assert figure["value"] is not None and figure["verdict"] != "wrong", (key, figure)
    workload = document["analysis_workload"]
    assert workload["points"] == (3 + 20 + 1) * 2 * 144 and workload["standard"] is False
