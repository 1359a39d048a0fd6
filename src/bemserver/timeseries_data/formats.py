"""Rendering data answers: content negotiation, timestamps and numbers, in Python and in SQL.

Raw answers drop missing values (None, NaN) and series without any; bucketed answers keep every
bucket (null / empty). Timestamps: JSON `isoformat()` in the answer's timezone ("+01:00",
microseconds when non-zero), CSV "%Y-%m-%dT%H:%M:%S%z". Numbers: floats as Python repr, counts as ints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

import orjson
from starlette.responses import StreamingResponse

from bemserver.http.errors import Unprocessable

JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Value = float | int | None


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


def media_type(header: str | None) -> str:
    """The bare media type of a Content-Type value, lowercased: 'text/csv; charset=utf-8' -> 'text/csv'."""
    return (header or "").split(";", 1)[0].strip().lower()


def charset(header: str | None) -> str | None:
    """The charset parameter of a Content-Type value, if any: 'text/csv; charset=windows-1252' -> 'windows-1252'."""
    for param in (header or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _accept_ranges(accept: str) -> list[tuple[str, float, int]]:
    """(media range, q, position) for each entry of an Accept header; malformed q counts as 1."""
    ranges = []
    for position, part in enumerate(accept.split(",")):
        kind, *params = (piece.strip() for piece in part.split(";"))
        if not kind:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
                if math.isnan(q):
                    q = 1.0
        ranges.append((kind.lower(), q, position))
    return ranges


def _quality(offered: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int]:
    """(q, specificity, -position) of the most specific range matching `offered`; q=0 if none."""
    major = offered.split("/", 1)[0]
    best: tuple[float, int, int] | None = None
    for kind, q, position in ranges:
        if kind == offered:
            specificity = 2
        elif kind == f"{major}/*":
            specificity = 1
        elif kind == "*/*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[1]:
            best = (q, specificity, -position)
    return best or (0.0, -1, 0)


def accepted_format(accept: str | None) -> Format:
    """CSV when the Accept header prefers text/csv to application/json; JSON otherwise (also when absent,
    '*/*', or naming neither). Ties go to the more specific match, then to the one listed first."""
    if not accept or not accept.strip():
        return Format.JSON
    ranges = _accept_ranges(accept)
    csv_q = _quality("text/csv", ranges)
    if csv_q[0] <= 0:
        return Format.JSON
    json_q = _quality("application/json", ranges)
    return Format.CSV if csv_q > json_q else Format.JSON


def body_format(content_type: str | None) -> Format:
    """CSV for a text/csv body (any parameters); JSON otherwise."""
    return Format.CSV if media_type(content_type) == "text/csv" else Format.JSON


def data_response(chunks: Iterable[bytes] | object, fmt: Format) -> StreamingResponse:
    """A streamed answer with the right Content-Type; `chunks` may be a sync or async iterator of bytes."""
    media_type = CSV_MEDIA_TYPE if fmt is Format.CSV else JSON_MEDIA_TYPE
    return StreamingResponse(chunks, media_type=media_type)  # type: ignore[arg-type]


def json_timestamp(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat()


def csv_timestamp(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def number_text(value: Value) -> str:
    """Python repr for floats, plain digits for ints; '' for a missing value (None or NaN).

    Infinities are rendered as CSV writes them ('inf'); JSON callers use `json_number`."""
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    number = float(value)
    return "" if math.isnan(number) else repr(number)


def json_number(value: Value) -> str:
    """A JSON value: repr for floats, digits for ints, 'null' for None, NaN and infinities."""
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    number = float(value)
    return repr(number) if math.isfinite(number) else "null"


def json_key(label: str) -> str:
    return orjson.dumps(label).decode()


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How a CSV answer is written: the separator, the decimal mark, and the timestamps' form:
    ISO 8601 with offset (default), or `spreadsheet`: "2020-01-31 00:00:00" in the answer's
    timezone, which spreadsheets read as dates (fractional seconds only when non-zero)."""

    separator: str = ","
    decimal_comma: bool = False
    spreadsheet_times: bool = False

    def number(self, text: str) -> str:
        return text.replace(".", ",") if self.decimal_comma else text

    def sql_number(self, expression: str) -> str:
        return f"replace({expression}, '.', ',')" if self.decimal_comma else expression

    def sql_separator(self) -> str:
        return "E'\\t'" if self.separator == "\t" else f"'{self.separator}'"

    def timestamp(self, moment: datetime, tz: tzinfo) -> str:
        if not self.spreadsheet_times:
            return csv_timestamp(moment, tz)
        local = moment.astimezone(tz)
        return local.strftime("%Y-%m-%d %H:%M:%S") + (
            f".{local.microsecond:06d}" if local.microsecond else ""
        )

    def sql_timestamp(self, column: str, text_column: str | None) -> str:
        if not self.spreadsheet_times:
            return sql_csv_timestamp(column, text_column)
        return (
            f"to_char({column}, 'YYYY-MM-DD HH24:MI:SS') || CASE WHEN date_trunc('second', {column}) = {column}"
            f" THEN '' ELSE to_char({column}, '.US') END"
        )


DEFAULT_DIALECT = CsvDialect()
SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t"}


def csv_dialect(separator: str = "comma", decimal: str = "point", time_format: str = "iso") -> CsvDialect:
    """The dialect of the query arguments; 422 for a decimal comma with comma separators."""
    if decimal == "comma" and separator == "comma":
        raise Unprocessable(
            errors={"query": {"decimal": ["A decimal comma needs separator=semicolon or separator=tab."]}}
        )
    return CsvDialect(SEPARATORS[separator], decimal == "comma", time_format == "spreadsheet")


def _csv_cell(text: str, separator: str = ",") -> str:
    """RFC 4180: a cell holding the separator, a quote or a line break (CR or LF) is quoted, quotes
    doubled. (csv.writer with a '\\n' line terminator would leave a lone CR unquoted.)"""
    if any(special in text for special in (separator, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_header(labels: Sequence[str], separator: str = ",") -> str:
    return separator.join(_csv_cell(cell, separator) for cell in ["Datetime", *labels]) + "\n"


# SQL-side rendering: timestamps in the session's TimeZone (set by the caller for the transaction).
# Since 1973 every zone's UTC offset is a whole number of minutes, so one to_char() call renders
# the offset; older instants (local mean time, e.g. Paris +00:09:21) take the exact, slower form.
_WHOLE_MINUTE_OFFSETS_SINCE = "'1973-01-01 00:00:00+00'"
_SECONDS = '\'YYYY-MM-DD"T"HH24:MI:SS'


def _offset_seconds(column: str, separator: str) -> str:
    return (
        f"CASE WHEN mod(date_part('timezone', {column})::int, 60) <> 0"
        f" THEN '{separator}' || lpad(mod(abs(date_part('timezone', {column})::int), 60)::text, 2, '0')"
        " ELSE '' END"
    )


def _with_text(column: str, text_column: str | None, suffix: str, generic: str) -> str:
    """Use `text_column` (the column's ::text under DateStyle ISO, '2020-01-01 01:00:00+01') when it
    has the common shape: whole seconds and a whole-hour offset; fall back to `generic` otherwise."""
    if text_column is None:
        return generic
    return (
        f"CASE WHEN length({text_column}) = 22"
        f" THEN left({text_column}, 10) || 'T' || right({text_column}, 11) || {suffix} ELSE {generic} END"
    )


def sql_json_timestamp(column: str, text_column: str | None = None) -> str:
    """isoformat(): '2020-01-01T01:00:00+01:00', '.500000' only when the microseconds are non-zero,
    and seconds in the offset only when non-zero.

    `text_column`, optional, is `column::text` computed once by a subquery under DateStyle ISO
    (`set_config('DateStyle', 'ISO', true)`): the cheapest form for the usual timestamps."""
    fraction = (
        f"CASE WHEN date_trunc('second', {column}) = {column}"
        f" THEN {_SECONDS}TZH:TZM' ELSE {_SECONDS}.USTZH:TZM' END"
    )
    exact = (
        f"to_char({column}, {_SECONDS}')"
        f" || CASE WHEN date_trunc('second', {column}) = {column} THEN '' ELSE to_char({column}, '.US') END"
        f" || to_char({column}, 'TZH:TZM') || {_offset_seconds(column, ':')}"
    )
    generic = (
        f"CASE WHEN {column} >= {_WHOLE_MINUTE_OFFSETS_SINCE} THEN to_char({column}, {fraction})"
        f" ELSE {exact} END"
    )
    # ':' and '00' apart: a quote then ":00" would read as a bind parameter to SQLAlchemy's text().
    return _with_text(column, text_column, "':' || '00'", generic)


def sql_csv_timestamp(column: str, text_column: str | None = None) -> str:
    """strftime('%Y-%m-%dT%H:%M:%S%z'): '2020-01-01T01:00:00+0100' (offset seconds as %z writes them).
    `text_column` as for `sql_json_timestamp`."""
    exact = f"to_char({column}, {_SECONDS}TZHTZM') || {_offset_seconds(column, '')}"
    generic = (
        f"CASE WHEN {column} >= {_WHOLE_MINUTE_OFFSETS_SINCE} THEN to_char({column}, {_SECONDS}TZHTZM')"
        f" ELSE {exact} END"
    )
    return _with_text(column, text_column, "'00'", generic)


def sql_number(column: str) -> str:
    """Python repr of a float8 column. PostgreSQL's shortest output matches Python's below 1e15 once
    integral values get their '.0'; larger magnitudes go through `py_float_text` (migration 0004)."""
    return (
        f"CASE WHEN abs({column}) >= 1e15 THEN py_float_text({column})"
        f" WHEN {column} = trunc({column}) THEN {column}::text || '.0'"
        f" ELSE {column}::text END"
    )
