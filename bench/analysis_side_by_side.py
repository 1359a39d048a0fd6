#!/usr/bin/env python3
"""The analysis figures of our server and the reference, request by request in turn, on the campaigns that
`bemserver_bench.py --no-data --analysis --keep` left on each (the newest `analysis-*` campaign of each):
both see the same machine load, which varies too much on a shared machine for runs minutes apart.

    python bench/analysis_side_by_side.py OUR_DATABASE_URL [--reference URL] [--rounds 7]

Our server is started on OUR_DATABASE_URL (as `--start-server --database-url` does); the reference must
be running (admin@example.com / secret, as ../shared/tools/reference_server.sh makes it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from bench_api import Api, SetupError
from bench_server import ManagedServer


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


START, END = "2024-01-01T00:00:00+00:00", "2024-12-31T00:00:00+00:00"


def timeseries_of(api: Api, campaign_id: int) -> list[dict[str, Any]]:
    found, page = [], 1
    while True:
        rows = api.call(
            "GET", "/timeseries/", params={"campaign_id": campaign_id, "page_size": 100, "page": page}
        )
        batch = rows.json() if rows.status_code == 200 else []
        found += batch
        if len(batch) < 100:
            return found
        page += 1


def requests(api: Api) -> dict[str, tuple[str, dict[str, Any]]]:
    campaigns = [c for c in api.call("GET", "/campaigns/").json() if c["name"].startswith("analysis-")]
    campaign = max(campaigns, key=lambda c: c["id"])
    counted = sorted(t["id"] for t in timeseries_of(api, campaign["id"]) if t["name"].startswith("count-"))
    site = api.call("GET", "/sites/", params={"campaign_id": campaign["id"]}).json()[0]["id"]
    buckets = {"start_time": START, "end_time": END, "bucket_width_value": 1}
    return {
        "completeness": (
            "/analysis/completeness",
            buckets | {"timeseries": counted, "data_state": 1, "bucket_width_unit": "day"},
        ),
        "consumption": (
            f"/analysis/energy_consumption/site/{site}",
            buckets | {"bucket_width_unit": "month"},
        ),
        "degree days": (
            f"/sites/{site}/degree_days",
            {"start_date": START[:10], "end_date": END[:10], "period": "day", "type": "heating", "base": 18},
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--reference", default="http://127.0.0.1:5000")
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    server = ManagedServer(str(Path(sys.executable).parent / "bemserver"), 1, arguments.database_url)
    server.start()
    try:
        ours = Api(server.url, server.email, server.password, 300)
        try:
            ours.login()
        except SetupError:  # a database that already has users
            server.create_user()
            ours = Api(server.url, server.email, server.password, 300)
            ours.login()
        reference = Api(arguments.reference, "admin@example.com", "secret", 300)
        reference.login()
        mine, theirs = requests(ours), requests(reference)
        for name, (path, params) in mine.items():
            ours.call("GET", path, params=params)  # the first one may refresh rollups
            ours_times, reference_times = [], []
            for _ in range(arguments.rounds):
                for api, (this_path, this_params), times in (
                    (ours, (path, params), ours_times),
                    (reference, theirs[name], reference_times),
                ):
                    took, response = api.timed("GET", this_path, params=this_params)
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: HTTP {response.status_code} {response.text[:200]}")
                    times.append(took)
            a, b = statistics.median(ours_times), statistics.median(reference_times)
            say(
                f"{name}: ours {a:.4f} s (min {min(ours_times):.4f}), reference {b:.3f} s"
                f" (min {min(reference_times):.3f}), x {b / a:.1f}"
            )
        say(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
