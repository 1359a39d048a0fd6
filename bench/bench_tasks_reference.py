"""The tasks workload on the reference (bemserver-core 0.22.0): its own task functions, timed.

Run it with the reference's venv (made by ../shared/tools/reference_server.sh), on a database of its
own migrated by the reference's `bemserver_db_upgrade`:

    createdb bemserver_reference_tasks
    echo 'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1/bemserver_reference_tasks"' > /tmp/core.py
    BEMSERVER_CORE_SETTINGS_FILE=/tmp/core.py SQLALCHEMY_DATABASE_URI=... $REF/venv/bin/bemserver_db_upgrade
    BEMSERVER_CORE_SETTINGS_FILE=/tmp/core.py $REF/venv/bin/python bench/bench_tasks_reference.py

The data are those of bench_tasks.py (same SQL, the reference's table names). `cleanup_data`,
`check_missing_ts_data` and `check_outliers_ts_data` are called as its scheduled tasks call them
(as the system, `OpenBar`), with the window in the campaign's timezone. Its checks query every
timeseries of the scope once per timeseries (core §4.2), so 10,000 timeseries would take hours:
`--check-timeseries` defaults to 1,000 (10 scopes of 100).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
from bench_tasks_data import REFERENCE, START, make_campaign, make_points, make_timeseries


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1/bemserver_reference_tasks")
    parser.add_argument("--timeseries", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--check-timeseries", type=int, default=1000)
    parser.add_argument("--skip", action="append", default=[], choices=("cleanup", "checks"))
    parser.add_argument("--json")
    arguments = parser.parse_args()

    from bemserver_core import BEMServerCore
    from bemserver_core.authorization import OpenBar
    from bemserver_core.database import db
    from bemserver_core.model import Campaign
    from bemserver_core.tasks.check_missing import check_missing_ts_data
    from bemserver_core.tasks.check_outliers import check_outliers_ts_data
    from bemserver_core.tasks.cleanup import cleanup_data

    BEMServerCore()
    figures: dict = {"load_start": os.getloadavg()[0], "started": datetime.now(UTC).isoformat()}
    stamp = int(time.time())
    if "cleanup" not in arguments.skip:
        with psycopg.connect(arguments.url, autocommit=True) as connection:
            campaign_id, scopes = make_campaign(connection, REFERENCE, f"Cleanup {stamp}", 1)
            make_timeseries(
                connection, REFERENCE, campaign_id, scopes, arguments.timeseries, {"Min": "16", "Max": "28"}
            )
            written = make_points(connection, REFERENCE, campaign_id, arguments.days * 144)
            connection.execute("VACUUM ANALYZE ts_data")
        say(f"cleanup: {written:,} Raw points")
        with OpenBar():
            campaign = Campaign.get_by_id(campaign_id)
            began = time.perf_counter()
            cleanup_data(campaign, START - timedelta(seconds=1), START + timedelta(days=arguments.days))
            figures["cleanup"] = {"seconds": round(time.perf_counter() - began, 3), "points": written}
        say(f"  Cleanup: {figures['cleanup']}")
    if "checks" not in arguments.skip:
        with psycopg.connect(arguments.url, autocommit=True) as connection:
            campaign_id, scopes = make_campaign(connection, REFERENCE, f"Checks {stamp}", 10)
            make_timeseries(
                connection,
                REFERENCE,
                campaign_id,
                scopes,
                arguments.check_timeseries,
                {"Min": "10", "Max": "40", "Interval": "600"},
            )
            written = make_points(connection, REFERENCE, campaign_id, 144, where="(s.i %% 10 <> 3 OR k < 20)")
            connection.execute(
                "UPDATE ts_data d SET value = 1000 FROM ts_by_data_states b JOIN timeseries t ON t.id = b.timeseries_id"
                " WHERE d.ts_by_data_state_id = b.id AND t.campaign_id = %s AND t.id %% 7 = 0"
                " AND (extract(epoch FROM d.timestamp)::bigint / 600) %% 5 = 0",
                (campaign_id,),
            )
            connection.execute("VACUUM ANALYZE")
        say(f"checks: {arguments.check_timeseries:,} timeseries, {written:,} Raw points")
        for name, function in (
            ("CheckMissingData", check_missing_ts_data),
            ("CheckOutliers", check_outliers_ts_data),
        ):
            with OpenBar():
                campaign = Campaign.get_by_id(campaign_id)
                began = time.perf_counter()
                function(campaign, START, START + timedelta(days=1))
                figures[name] = {
                    "seconds": round(time.perf_counter() - began, 3),
                    "timeseries": arguments.check_timeseries,
                }
            db.session.remove()
            say(f"  {name}: {figures[name]}")
    figures["load_end"] = os.getloadavg()[0]
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump(figures, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
