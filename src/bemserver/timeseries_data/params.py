"""Query arguments of the data routes, declared once for the by-id and the by-name (campaign) forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Query

from bemserver.http.errors import Unprocessable
from bemserver.http.fields import AwareDT, Timezone
from bemserver.units import ConversionError, UnitError, conversion, parse_unit

SIZE_MISMATCH = "If provided, convert_to must be the same size as timeseries."

Ids = Annotated[list[int], Query(description="Timeseries IDs")]
Names = Annotated[list[str], Query(description="Timeseries names (within the campaign)")]
DataState = Annotated[int, Query(description="Data state ID")]
Start = Annotated[AwareDT, Query(description="Initial datetime (included)")]
End = Annotated[AwareDT, Query(description="End datetime (excluded)")]
TimezoneArg = Annotated[Timezone, Query(description="Timezone of the returned timestamps")]
ConvertTo = Annotated[
    list[str] | None,
    Query(description="Units to convert the values to, one per timeseries ('' = no conversion)"),
]
LocalTimezone = Annotated[
    Timezone | None,
    Query(
        description="Timezone of posted local times (timestamps without UTC offset, and the spreadsheet "
        "forms 31/01/2023 00:00, 31.01.2023 00:00, 2023/01/31 00:00). Without it they are refused. "
        "Timestamps with an offset are read as they are."
    ),
]
Dst = Annotated[
    Literal["earlier", "later"] | None,
    Query(
        description="For a local time that occurs twice (DST ends) or not at all (DST starts), take the "
        "earlier or the later of its two possible instants. Without it, such a time is refused (422)."
    ),
]
DateOrderArg = Annotated[
    Literal["DMY", "MDY"],
    Query(description="Order of slashed dates: DMY (31/01/2023, default) or MDY (01/31/2023)"),
]
SeparatorArg = Annotated[
    Literal["comma", "semicolon", "tab"],
    Query(alias="separator", description="CSV answers: the separator (default comma)"),
]
DecimalArg = Annotated[
    Literal["point", "comma"],
    Query(
        alias="decimal", description="CSV answers: the decimal mark (comma needs separator semicolon or tab)"
    ),
]
TimeFormatArg = Annotated[
    Literal["iso", "spreadsheet"],
    Query(
        alias="time_format",
        description="CSV answers: timestamps as ISO 8601 with offset (iso, default) or as "
        "'2020-01-31 00:00:00' in the timezone (spreadsheet), which spreadsheets read as dates",
    ),
]
ReportArg = Annotated[
    bool,
    Query(
        alias="report",
        description="Answer with the import report ({inserted, ignored, overwritten, timeseries: {...}}) "
        "instead of null; `Prefer: return=representation` does the same. The totals are always in the "
        "X-Import-Report header.",
    ),
]
ImportIdArg = Annotated[
    str | None,
    Query(
        description="Name this import to follow its progress (GET /timeseries_data/imports/{import_id} and "
        "its /stream): 1 to 64 letters, digits or - . _ ~ chosen by the client (a UUID, say). The "
        "X-Import-Id header does the same.",
    ),
]
MaxPoints = Annotated[
    int | None,
    Query(
        ge=2,
        le=100_000,
        description="Extension: at most this many points per timeseries, chosen on the server to keep the "
        "curve's shape (the lowest and highest value of each of max_points/2 equal time columns); a "
        "timeseries with fewer points in the period is returned whole. Absent: every point. JSON only.",
    ),
]
Overwrite = Annotated[
    bool,
    Query(
        description="Replace the stored values at the posted timestamps. By default (false) the values "
        "already stored are kept and the new ones at those timestamps are ignored."
    ),
]


def unit_targets(requested: Sequence[Any], convert_to: Sequence[str] | None) -> dict[Any, str]:
    """Target unit per requested timeseries (first occurrence wins for duplicates); '' = none.
    `convert_to` is checked against the request's timeseries list (duplicates included, as sent)."""
    if not convert_to:
        return {}
    unknown = {}
    for position, symbol in enumerate(convert_to):
        try:
            parse_unit(symbol)
        except UnitError as exc:
            unknown[str(position)] = [str(exc)]
    if unknown:
        raise Unprocessable(errors={"query": {"convert_to": unknown}})
    if len(convert_to) != len(requested):
        raise Unprocessable(errors={"query": {"_schema": [SIZE_MISMATCH]}})
    chosen: dict[Any, str] = {}
    for key, unit in zip(requested, convert_to, strict=True):
        chosen.setdefault(key, unit)
    return chosen


def scale(source_unit: str, target: str) -> tuple[float, float]:
    """(a, b) such that a value in `target` is value * a + b; (1, 0) without a target unit."""
    if not target:
        return 1.0, 0.0
    try:
        return conversion(source_unit, target)
    except ConversionError as exc:
        raise Unprocessable(str(exc)) from None
    except UnitError:
        raise Unprocessable("Undefined unit.") from None
