"""What a data POST did: per timeseries, how many posted points were inserted, ignored (an instant
already stored, or given twice in the request) and overwritten (`overwrite=true`).

The statements count what they insert and update (INSERT ... RETURNING, `xmax = 0` telling an
inserted row from an updated one) and group the counts by series in SQL; a COPY straight into the
table inserted every point. Posted counts come from parsing (per label, never per point).

The answer keeps the reference's `201 null` and carries the totals in the `X-Import-Report` header
(JSON, like X-Pagination); the body is the full report when asked for, with `report=true` or
`Prefer: return=representation`, so that clients reading today's answer see no change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

HEADER = "X-Import-Report"


@dataclass(slots=True)
class Counts:
    inserted: int = 0
    ignored: int = 0
    overwritten: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "ignored": self.ignored, "overwritten": self.overwritten}


# Written points by series id: (inserted, overwritten)
Written = dict[int, tuple[int, int]]


@dataclass(slots=True)
class Report:
    """Counts by label (timeseries id or name, as posted)."""

    timeseries: dict[str, Counts] = field(default_factory=dict)

    @classmethod
    def of(cls, labels: dict[str, int], posted: dict[int, int], written: Written) -> Report:
        """From the series of each label, the points posted per series and those written."""
        report = cls()
        for label, series_id in labels.items():
            inserted, overwritten = written.get(series_id, (0, 0))
            total = posted.get(series_id, 0)
            report.timeseries[label] = Counts(inserted, max(total - inserted - overwritten, 0), overwritten)
        return report

    def totals(self) -> Counts:
        total = Counts()
        for counts in self.timeseries.values():
            total.inserted += counts.inserted
            total.ignored += counts.ignored
            total.overwritten += counts.overwritten
        return total

    def header(self) -> str:
        return orjson.dumps(self.totals().as_dict()).decode()

    def body(self) -> dict[str, object]:
        return {
            **self.totals().as_dict(),
            "timeseries": {label: counts.as_dict() for label, counts in self.timeseries.items()},
        }


def asked(report_arg: bool, prefer: str | None) -> bool:
    """The body is the report with `report=true` or `Prefer: return=representation` (RFC 7240)."""
    if report_arg:
        return True
    return any(
        part.strip().replace(" ", "").lower() == "return=representation" for part in (prefer or "").split(",")
    )
