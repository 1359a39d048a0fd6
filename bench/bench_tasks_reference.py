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

START = datetime(2024, 1, 1, tzinfo=UTC)


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def make_campaign(connection, name: str, scopes: int) -> int:
    campaign = connection.execute(
        "INSERT INTO campaigns (name, timezone) VALUES (%s, 'UTC') RETURNING id", (name,)
    ).fetchone()[0]
    for n in range(scopes):
        connection.execute(
            "INSERT INTO c_scopes (name, campaign_id) VALUES (%s, %s)", (f"Scope {n}", campaign)
        )
    return campaign


def make_timeseries(connection, campaign: int, count: int, properties: dict[str, str]) -> None:
    scopes = [
        row[0]
        for row in connection.execute(
            "SELECT id FROM c_scopes WHERE campaign_id = %s ORDER BY id", (campaign,)
        )
    ]
    connection.execute(
        "INSERT INTO timeseries (name, unit_symbol, campaign_id, campaign_scope_id)"
        " SELECT 'TS ' || i, '', %s, (%s::int[])[1 + i %% %s] FROM generate_series(0, %s - 1) i",
        (campaign, scopes, len(scopes), count),
    )
    for name, value in properties.items():
        connection.execute(
            "INSERT INTO ts_prop_data (timeseries_id, property_id, value)"
            " SELECT t.id, p.id, %s FROM timeseries t, ts_props p WHERE t.campaign_id = %s AND p.name = %s",
            (value, campaign, name),
        )
    connection.execute(
        "INSERT INTO ts_by_data_states (timeseries_id, data_state_id)"
        " SELECT t.id, s.id FROM timeseries t, ts_data_states s WHERE t.campaign_id = %s AND s.name = 'Raw'",
        (campaign,),
    )


def make_points(connection, campaign: int, points: int, where: str = "true") -> int:
    cursor = connection.execute(
        f"""
        INSERT INTO ts_data (ts_by_data_state_id, timestamp, value)
        SELECT s.id, %s + k * interval '10 minutes', round((20 + 5 * sin(2 * pi() * k / 144) + s.i %% 10)::numeric, 3)
        FROM (SELECT b.id, row_number() OVER (ORDER BY t.id) - 1 AS i FROM timeseries t
              JOIN ts_by_data_states b ON b.timeseries_id = t.id WHERE t.campaign_id = %s) s
        CROSS JOIN LATERAL generate_series(0, %s - 1) k
        WHERE {where}
        """,
        (START, campaign, points),
    )
    return cursor.rowcount


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
            campaign_id = make_campaign(connection, f"Cleanup {stamp}", 1)
            make_timeseries(connection, campaign_id, arguments.timeseries, {"Min": "16", "Max": "28"})
            written = make_points(connection, campaign_id, arguments.days * 144)
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
            campaign_id = make_campaign(connection, f"Checks {stamp}", 10)
            make_timeseries(
                connection,
                campaign_id,
                arguments.check_timeseries,
                {"Min": "10", "Max": "40", "Interval": "600"},
            )
            written = make_points(connection, campaign_id, 144, where="(s.i %% 10 <> 3 OR k < 20)")
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
