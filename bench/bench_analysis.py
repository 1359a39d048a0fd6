"""The analysis workload (issue 12): completeness of 100 timeseries, the energy consumption breakdown of a
site with 20 meters and degree days, each over one year of 10-minute data, against any BEMServer-compatible
API (ours or the reference).

The campaign, its site, the timeseries and their energy and weather links are made through the API; the
points (7.9 million by default) by direct SQL, on our schema and on the reference's alike (it would take
the reference hours through the API), so the server's database URL is needed.
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from bench_api import Api, SetupError, status_text
from bench_bulk import connect
from bench_figures import ANALYSIS_FIGURES_BY_KEY, Result
from bench_workload import say

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
POINTS_PER_DAY = 144
# 20 (energy, end use) pairs: electricity .. wood log x heating .. lighting (the seeded ids, both servers)
METER_LINKS = [(energy, end_use) for energy in range(2, 7) for end_use in range(2, 6)]
CAMPAIGN_TIMEZONE = "Europe/Paris"


@dataclass
class AnalysisOptions:
    timeseries: int = 100  # for completeness
    meters: int = 20
    days: int = 365
    requests: int = 7  # per median
    database_url: str | None = None


# The value of point k (0-based, 10 minutes apart) of each kind of series, as SQL over k.
METER_VALUE = "(10 + %(j)s + k %% 6)::float8"  # Wh per 10 minutes
TEMPERATURE_VALUE = (
    "round((10 - 8 * cos(2 * pi() * k / (144 * 365.0)) + 4 * sin(2 * pi() * k / 144.0))::numeric, 2)::float8"
)
COUNT_VALUE = "(k %% 144)::float8"


def meter_total(meter: int, points: int) -> float:
    """The sum of a meter's points (what the breakdown must add up to, in Wh)."""
    return float(sum(10 + meter + k % 6 for k in range(points)))


class Points:
    """Bulk points by SQL, on either schema: ours (timeseries_data by series, rollups noted dirty) or
    the reference's (ts_data by ts_by_data_state)."""

    def __init__(self, url: str) -> None:
        self.connection = connect(url)
        found = self.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_name IN ('timeseries_data', 'ts_data')"
        ).fetchall()
        self.ours = ("timeseries_data",) in found

    def series(self, timeseries_id: int, state_id: int) -> int:
        table = "timeseries_by_data_states" if self.ours else "ts_by_data_states"
        self.connection.execute(
            f"INSERT INTO {table} (timeseries_id, data_state_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (timeseries_id, state_id),
        )
        row = self.connection.execute(
            f"SELECT id FROM {table} WHERE timeseries_id = %s AND data_state_id = %s",
            (timeseries_id, state_id),
        ).fetchone()
        return int(row[0])

    def write(self, timeseries_id: int, state_id: int, count: int, value_sql: str, j: int = 0) -> None:
        series = self.series(timeseries_id, state_id)
        moments = "%(start)s::timestamptz + k * interval '10 minutes'"
        params = {"series": series, "count": count, "start": START, "j": j}
        if self.ours:
            self.connection.execute(
                "INSERT INTO timeseries_data (series_id, timestamp, value)"
                f" SELECT %(series)s, {moments}, {value_sql} FROM generate_series(0, %(count)s - 1) AS k",
                params,
            )
            self.connection.execute(
                "INSERT INTO timeseries_data_dirty (series_id, lo, hi) VALUES"
                " (%(series)s, %(start)s, %(start)s::timestamptz + %(count)s * interval '10 minutes')",
                params,
            )
        else:
            self.connection.execute(
                "INSERT INTO ts_data (ts_by_data_state_id, timestamp, value)"
                f" SELECT %(series)s, {moments}, {value_sql} FROM generate_series(0, %(count)s - 1) AS k",
                params,
            )

    def delete(self, timeseries_ids: list[int]) -> None:
        """The points of these timeseries (the reference would load them all to delete the campaign)."""
        if self.ours:
            return  # deleting the campaign drops them (statement triggers)
        self.connection.execute(
            "DELETE FROM ts_data WHERE ts_by_data_state_id IN"
            " (SELECT id FROM ts_by_data_states WHERE timeseries_id = ANY(%s))",
            (timeseries_ids,),
        )

    def analyze(self) -> None:
        self.connection.execute("ANALYZE " + ("timeseries_data" if self.ours else "ts_data"))

    def close(self) -> None:
        self.connection.close()


class AnalysisWorkload:
    def __init__(self, api: Api, options: AnalysisOptions) -> None:
        self.api, self.options = api, options
        self.results: dict[str, Result] = {}
        self.campaign_id: int | None = None
        self.site_id: int | None = None
        self.counted: list[int] = []
        self.meters: list[int] = []
        self.temperature: int | None = None
        self.setup_problem = ""
        self.problems: dict[str, str] = {}  # figure -> why it cannot be measured
        self.points: Points | None = None
        self.load_s: float | None = None

    @property
    def points_per_series(self) -> int:
        return self.options.days * POINTS_PER_DAY

    @property
    def end(self) -> dt.datetime:
        return START + dt.timedelta(days=self.options.days)

    def describe(self) -> dict[str, Any]:
        return {
            "timeseries": self.options.timeseries,
            "meters": self.options.meters,
            "days": self.options.days,
            "points": (self.options.timeseries + self.options.meters + 1) * self.points_per_series,
            "requests_per_median": self.options.requests,
            "bulk_load_s": self.load_s,
            "standard": (self.options.timeseries, self.options.meters, self.options.days) == (100, 20, 365),
        }

    # Setup
    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.call("POST", path, json=body)
        if response.status_code != 201:
            raise SetupError(f"POST {path}: {status_text(response)}")
        return response.json()

    def state_ids(self) -> dict[str, int]:
        response = self.api.call("GET", "/timeseries_data_states/")
        if response.status_code != 200:
            return {"raw": 1, "clean": 2}
        return {state["name"].lower(): state["id"] for state in response.json()}

    def set_up(self) -> None:
        if not self.options.database_url:
            self.setup_problem = "n/a: the server's database URL is needed to load the points by SQL"
            return
        suffix = secrets.token_hex(4)
        try:
            campaign = self.create(
                "/campaigns/", {"name": f"analysis-{suffix}", "timezone": CAMPAIGN_TIMEZONE}
            )
            self.campaign_id = campaign["id"]
            scope = self.create("/campaign_scopes/", {"name": "analysis", "campaign_id": self.campaign_id})
            self.site_id = self.create("/sites/", {"name": "analysis", "campaign_id": self.campaign_id})["id"]

            def timeseries(name: str, unit: str) -> int:
                body = {"name": name, "campaign_id": self.campaign_id, "campaign_scope_id": scope["id"]}
                return self.create("/timeseries/", body | {"unit_symbol": unit})["id"]

            self.counted = [timeseries(f"count-{i}", "") for i in range(self.options.timeseries)]
            self.meters = [timeseries(f"meter-{j}", "Wh") for j in range(self.options.meters)]
            self.temperature = timeseries("air temperature", "°C")
            self.link_meters()
            self.link_temperature()
            self.load()
        except SetupError as exc:
            self.setup_problem = f"setup failed: {exc}"
            say(self.setup_problem)

    def link_meters(self) -> None:
        """The consumption links; without them (a server without the energy resources), only the
        breakdown figure is n/a."""
        try:
            for meter, (energy, end_use) in zip(self.meters, METER_LINKS, strict=False):
                body = {
                    "site_id": self.site_id,
                    "energy_id": energy,
                    "end_use_id": end_use,
                    "timeseries_id": meter,
                }
                self.create("/energy_consumption_timeseries_by_sites/", body)
        except SetupError as exc:
            self.problems["analysis_consumption_p50_s"] = f"setup failed: {exc}"

    def link_temperature(self) -> None:
        try:
            self.create(
                "/weather_timeseries_by_sites/",
                {
                    "site_id": self.site_id,
                    "parameter": "AIR_TEMPERATURE",
                    "timeseries_id": self.temperature,
                    "forecast": False,
                },
            )
        except SetupError as exc:
            self.problems["analysis_degree_days_p50_s"] = f"setup failed: {exc}"

    def load(self) -> None:
        assert self.options.database_url and self.temperature is not None
        states = self.state_ids()
        raw, clean = states.get("raw", 1), states.get("clean", 2)
        say(f"loading {self.describe()['points']:,} points by SQL...")
        started = time.perf_counter()
        self.points = Points(self.options.database_url)
        count = self.points_per_series
        for timeseries_id in self.counted:
            self.points.write(timeseries_id, raw, count, COUNT_VALUE)
        for j, timeseries_id in enumerate(self.meters):
            self.points.write(timeseries_id, clean, count, METER_VALUE, j)
        self.points.write(self.temperature, clean, count, TEMPERATURE_VALUE)
        self.points.analyze()
        self.load_s = round(time.perf_counter() - started, 1)
        self.raw_state = raw

    def clean_up(self) -> None:
        if self.points is not None:
            self.points.delete(
                [*self.counted, *self.meters, *([self.temperature] if self.temperature else [])]
            )
            self.points.close()
        if self.campaign_id is not None:
            response = self.api.call("DELETE", f"/campaigns/{self.campaign_id}", headers={"If-Match": "*"})
            if response.status_code != 204:
                say(f"warning: could not delete the analysis campaign: {status_text(response)}")

    # Measurements
    def run(self) -> dict[str, Result]:
        self.set_up()
        self.record("analysis_completeness_p50_s", self.completeness)
        self.record("analysis_consumption_p50_s", self.consumption)
        self.record("analysis_degree_days_p50_s", self.degree_days)
        return self.results

    def record(self, key: str, measure: Callable[[], Result]) -> None:
        if self.points is None or key in self.problems:
            self.results[key] = Result(detail=self.problems.get(key) or self.setup_problem)
            return
        say(f"measuring {ANALYSIS_FIGURES_BY_KEY[key].label}...")
        try:
            self.results[key] = measure()
        except httpx.TimeoutException as exc:
            self.results[key] = Result(detail=f"timeout ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            self.results[key] = Result(detail=f"{type(exc).__name__}: {exc}"[:160])
        except (ValueError, KeyError, TypeError, AttributeError, LookupError) as exc:
            self.results[key] = Result(detail=f"unexpected response ({type(exc).__name__}: {exc})"[:160])

    def median(self, path: str, params: dict[str, Any], check: Callable[[Any], str]) -> Result:
        """The median of `requests` GETs; every answer must pass `check` (an empty string)."""
        times = []
        for _ in range(self.options.requests):
            took, response = self.api.timed("GET", path, params=params)
            if response.status_code != 200:
                return Result(detail=status_text(response))
            problem = check(response.json())
            if problem:
                return Result(statistics.median(times or [took]), detail=problem, wrong=True)
            times.append(took)
        detail = f"first {times[0]:.3g} s, min {min(times):.3g} s, max {max(times):.3g} s of {len(times)}"
        return Result(round(statistics.median(times), 4), detail, extra={"first_s": round(times[0], 4)})

    def completeness(self) -> Result:
        params = {
            "timeseries": self.counted,
            "start_time": START.isoformat(),
            "end_time": self.end.isoformat(),
            "data_state": self.raw_state,
            "bucket_width_value": 1,
            "bucket_width_unit": "day",
        }

        def check(body: Any) -> str:
            documents = body["timeseries"]
            if len(body["timestamps"]) != self.options.days or len(documents) != len(self.counted):
                return f"wrong: {len(body['timestamps'])} buckets, {len(documents)} timeseries"
            for document in documents.values():
                if document["total_count"] != self.points_per_series or document["avg_ratio"] != 1.0:
                    return f"wrong: total_count {document['total_count']}, avg_ratio {document['avg_ratio']}"
            return ""

        return self.median("/analysis/completeness", params, check)

    def consumption(self) -> Result:
        params = {
            "start_time": START.isoformat(),
            "end_time": self.end.isoformat(),
            "bucket_width_value": 1,
            "bucket_width_unit": "month",
        }
        links = {
            (energy, end_use): meter
            for meter, (energy, end_use) in zip(self.meters, METER_LINKS, strict=False)
        }

        def check(body: Any) -> str:
            series = [values for uses in body["energy"].values() for values in uses.values()]
            if len(series) != len(links):
                return f"wrong: {len(series)} series"
            totals = sorted(round(sum(values), 3) for values in series)
            wanted = sorted(meter_total(j, self.points_per_series) for j in range(len(self.meters)))
            if totals != wanted:
                return f"wrong: totals {totals[:3]}... instead of {wanted[:3]}..."
            return ""

        return self.median(f"/analysis/energy_consumption/site/{self.site_id}", params, check)

    def degree_days(self) -> Result:
        params = {
            "start_date": START.date().isoformat(),
            "end_date": (START.date() + dt.timedelta(days=self.options.days)).isoformat(),
            "period": "day",
            "type": "heating",
            "base": 18,
        }

        def check(body: Any) -> str:
            values = body["degree_days"]
            if len(values) != self.options.days:
                return f"wrong: {len(values)} days"
            known = [value for value in values.values() if value is not None]
            if len(known) < self.options.days - 1 or not all(value >= 0 for value in known):
                return f"wrong: {len(known)} days with a value"
            return ""

        return self.median(f"/sites/{self.site_id}/degree_days", params, check)
