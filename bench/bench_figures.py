"""The benchmark's figures: targets of issue 4, the reference's figures, verdicts, the table and the JSON report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

# The events workload (issue 11; bench_events, with --events); the reference's figures and how they were
# measured (a Celery worker, Redis): bench/README.md. It has no stream.
EVENT_FIGURES = (
    Figure("events_post_fanout_p50_ms", "POST /events/ with fan-out, median", "ms", False, 5, 13.33),
    Figure("events_page_p50_ms", "GET /events/ filtered page of 100, median", "ms", False, 10, 114.8),
    Figure("notifications_count_p50_ms", "notifications count_by_campaign, median", "ms", False, 10, 286.6),
    Figure("events_stream_latency_p50_ms", "POST to event on the stream, median", "ms", False, 50, None),
    Figure("mail_drain_per_s", "e-mails drained into a local SMTP server", "mails/s", True, 300, 135.3),
)
EVENT_FIGURES_BY_KEY = {figure.key: figure for figure in EVENT_FIGURES}

# The analysis workload (issue 12; bench_analysis, with --analysis). The reference's figures: bench/README.md.
ANALYSIS_FIGURES = (
    Figure(
        "analysis_completeness_p50_s", "completeness, 100 timeseries x 1 year, daily, median", "s", False, 0.3
    ),
    Figure(
        "analysis_consumption_p50_s",
        "energy consumption, 20 meters x 1 year, monthly, median",
        "s",
        False,
        0.1,
    ),
    Figure("analysis_degree_days_p50_s", "degree days, 1 year, daily, median", "s", False, 0.05),
)
ANALYSIS_FIGURES_BY_KEY = {figure.key: figure for figure in ANALYSIS_FIGURES}


@dataclass
class Result:
    """One measured figure: a value, or None with the reason (HTTP status, error) in `detail`."""

    value: float | None = None
    detail: str = ""
    wrong: bool = False  # the server answered, but not with the data that was written
    extra: dict[str, float] = field(default_factory=dict)  # side figures, in the JSON report only


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


def table(results: dict[str, Result], figures: tuple[Figure, ...] = FIGURES) -> str:
    header = ("figure", "unit", "value", "target", "verdict", "reference", "x reference", "detail")
    rows = [header]
    for figure in figures:
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


def report(
    results: dict[str, Result], context: dict[str, Any], shown: tuple[Figure, ...] = FIGURES
) -> dict[str, Any]:
    figures = {}
    for figure in shown:
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
            **result.extra,
        }
    return context | {"figures": figures}
