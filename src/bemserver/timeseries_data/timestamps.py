"""Posted timestamps -> µs since 2000-01-01 UTC.

Aware ISO 8601 timestamps are read as they are. Local times (naive ISO 8601, or the forms
spreadsheets write: `31/01/2023 00:00`, `31.01.2023 00:00:00`, `2023/01/31 00:00`) are read in
the timezone the request names (`LocalTimes`); without one they are refused with a hint. A local
time that does not exist (the clocks skip it: DST starts) or occurs twice (DST ends) is refused
unless the request chose the earlier or the later of its two instants (`dst`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bemserver.http.errors import Unprocessable
from bemserver.http.fields import DT_MAX, DT_MIN

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MIN_US = (DT_MIN - PG_EPOCH) // MICROSECOND
MAX_US = (DT_MAX - PG_EPOCH) // MICROSECOND  # excluded, as end_time is in reads
_SHOWN = 80  # characters of a bad input quoted in an error message

DstChoice = Literal["earlier", "later"]
DateOrder = Literal["DMY", "MDY"]
HINT_TIMEZONE = (
    ". Local times need their timezone in the query, e.g. timezone=Europe/Paris"
    " (or give each timestamp its UTC offset, e.g. 2023-01-31T00:00:00+01:00)"
)


def shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


class BadTimestamp(Unprocessable):
    """422 for a timestamp: `detail` names it, `hint` says what to do; `located` adds where."""

    def __init__(self, detail: str, hint: str = "") -> None:
        super().__init__(detail + hint)
        self.detail, self.hint = detail, hint

    def located(self, where: str) -> Unprocessable:
        return Unprocessable(f"{self.detail} {where}{self.hint}")


@dataclass(frozen=True, slots=True)
class LocalTimes:
    """How a request's local times are read: in `zone`; `dst` picks the instant of a local time
    that DST makes ambiguous or skips (None: refused); `date_order` of slashed dates (31/01/2023)."""

    zone: str
    dst: DstChoice | None = None
    date_order: DateOrder = "DMY"
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.zone))

    def instant(self, naive: datetime, text: str) -> datetime:
        """The aware instant of a local time; 422 in a DST gap or overlap without a `dst` choice."""
        first = naive.replace(tzinfo=self.tz, fold=0)
        second = naive.replace(tzinfo=self.tz, fold=1)
        offsets = first.utcoffset(), second.utcoffset()
        if offsets[0] == offsets[1]:
            return first
        candidates = sorted(moment.astimezone(UTC) for moment in (first, second))
        if self.dst is not None:
            return candidates[0] if self.dst == "earlier" else candidates[1]
        exists = first.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) == naive
        problem = "occurs twice" if exists else "does not exist"
        cause = "DST ends, the clocks go back" if exists else "DST starts, the clocks skip it"
        raise BadTimestamp(
            f"Ambiguous local time: {shown(text)} {problem} in {self.zone} ({cause})",
            ". Give the timestamps their UTC offset, or choose with dst=earlier or dst=later",
        )


# datetime.fromisoformat (3.11) skips any one character before the zone: "00:00:00xZ" parses.
_JUNK_BEFORE_ZONE = re.compile(r"[^0-9][Z+-][0-9:.]*\s*$")
# Spreadsheet forms: day/month/year (or month/day/year), day.month.year, year/month/day; a time
# with or without seconds and fraction; the date alone is midnight.
_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?\s*"
_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)
_DOTTED = re.compile(r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME)
_YEAR_FIRST = re.compile(r"\s*(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME)


def spreadsheet_time(text: str, date_order: DateOrder = "DMY") -> datetime | None:
    """The naive datetime of a spreadsheet form; None if `text` has none of them. A form with an
    impossible date raises (with a hint on the date order when the month is beyond 12)."""
    match = _SLASHED.fullmatch(text)
    if match:
        first, second, year = match.group(1, 2, 3)
        day, month = (first, second) if date_order == "DMY" else (second, first)
    elif match := _DOTTED.fullmatch(text):
        day, month, year = match.group(1, 2, 3)
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = match.group(1, 2, 3)
    else:
        return None
    hour, minute, second_, fraction = match.group(4, 5, 6, 7)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second_ or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        hint = ""
        if _SLASHED.fullmatch(text) and int(month) > 12:
            other = "MDY" if date_order == "DMY" else "DMY"
            hint = f". Slashed dates are read as {'/'.join(date_order)}; for {'/'.join(other)} add date_order={other}"
        raise BadTimestamp(f"Invalid timestamp: {shown(text)}", hint) from None


def parse_timestamp(text: str, local: LocalTimes | None = None) -> int:
    """µs since 2000-01-01 UTC of a timestamp within the supported range: aware ISO 8601, or a local
    time when the request gave its timezone (`local`)."""
    try:
        if _JUNK_BEFORE_ZONE.search(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, TypeError):
        sheet = (
            spreadsheet_time(text, local.date_order if local else "DMY") if isinstance(text, str) else None
        )
        if sheet is None:
            raise BadTimestamp(f"Invalid timestamp: {shown(text)}") from None
        moment = sheet
    if moment.tzinfo is None:
        if local is None:
            raise BadTimestamp(f"Invalid or TZ-naive timestamp: {shown(text)}", HINT_TIMEZONE)
        moment = local.instant(moment, text)
    try:
        micros = (moment - PG_EPOCH) // MICROSECOND
    except OverflowError:
        micros = MAX_US
    if not MIN_US <= micros < MAX_US:
        raise BadTimestamp(
            f"Invalid timestamp: {shown(text)}",
            f" is out of range [{DT_MIN.isoformat()}, {DT_MAX.isoformat()})",
        )
    return micros
