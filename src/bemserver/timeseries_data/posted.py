"""Posted points: JSON or CSV bodies parsed straight into binary COPY rows, validated as a whole.

`parse_body` checks the shape and labels; once the labels are resolved, `Posted.batch` packs the
points (series_id int4, µs since 2000 int8, value float8). The first bad timestamp or value stops
everything with a 422, so a request writes all its points or none.
"""

from __future__ import annotations

import csv
import math
import re
import struct
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from bemserver.http import csvtext
from bemserver.http.errors import Unprocessable
from bemserver.http.fields import parse_integer
from bemserver.timeseries_data.timestamps import (
    MAX_US,
    MIN_US,
    PG_EPOCH,
    BadTimestamp,
    LocalTimes,
    parse_timestamp,
    shown,
)

ROW = struct.Struct("!hiiiqid")  # 3 fields: (4, series_id), (8, µs), (8, value)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)

_INTEGER = re.compile(r"[+-]?[0-9]+")
CHUNK_ROWS = 8192  # points packed together, then handed to COPY


def instant(micros: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=micros)


_shown = shown


class Batch:
    """Packed points, chunk by chunk as parsed (COPY starts before the end), and per series the
    [first, last] µs span of its points and how many points it has (`counts`, complete once every
    chunk has been produced)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.spans: dict[int, list[int]] = {}
        self.counts: dict[int, int] = {}

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) covering every point of the batch (once every chunk has been produced)."""
        low = min(span[0] for span in self.spans.values())
        high = max(span[1] for span in self.spans.values())
        return instant(low), instant(high + 1)

    def extend(self, series_id: int, low: int, high: int, count: int = 0) -> None:
        if count:
            self.counts[series_id] = self.counts.get(series_id, 0) + count
        if high < low:
            return
        span = self.spans.get(series_id)
        if span is None:
            self.spans[series_id] = [low, high]
        else:
            span[0] = min(span[0], low)
            span[1] = max(span[1], high)


def row_count(chunk: bytes) -> int:
    return len(chunk) // ROW.size


def rows_of(chunks: list[bytes]) -> Iterator[tuple[int, int, float]]:
    """(series_id, µs, value) of packed rows."""
    for chunk in chunks:
        for _, _, series_id, _, micros, _, value in ROW.iter_unpack(chunk):
            yield series_id, micros, value


# Subnormal floats (0 < |x| < 2.2250738585072014e-308) are refused: PostgreSQL's float8 arithmetic
# reports an underflow error when a product or quotient of them rounds to 0 (averages, conversions).
TINY = sys.float_info.min


def storable(value: float) -> bool:
    return math.isfinite(value) and (value == 0.0 or not -TINY < value < TINY)


def parse_value(raw: Any, where: str, posted: Any = None) -> float:
    """A storable float (finite, not subnormal) from a number, a boolean or a numeric string
    (`posted`: the text as posted, shown in the error, if `raw` is a form of it)."""
    try:
        if isinstance(raw, bool | int | float) or (isinstance(raw, str) and raw.strip()):
            number = float(raw)
            if storable(number):
                return number
    except (ValueError, OverflowError):
        pass
    raise Unprocessable(f"Invalid values: {_shown(raw if posted is None else posted)} {where}")


@dataclass(slots=True)
class Posted:
    """A parsed body: its labels (timeseries ids or names, as posted), at most how many points it
    holds, and its points still to pack (`document`: the parsed JSON; `table`: a CSV reader after the
    header); `local`: how its local times are read (None: refused)."""

    labels: list[str]
    most: int
    document: dict[str, dict[str, Any]] | None = None
    table: CsvBody | None = None
    local: LocalTimes | None = None
    watch: Callable[[Iterator[bytes]], Iterator[bytes]] | None = None  # sees the chunks go by

    def batch(self, series_of: dict[str, int]) -> Batch:
        """The points packed, chunk by chunk, for the stored series of each label (JSON nulls and
        empty CSV cells are no points)."""
        batch = Batch(iter(()))
        if self.table is not None:
            batch.chunks = _csv_chunks(self.table, series_of, batch, self.local)
        else:
            assert self.document is not None
            batch.chunks = _json_chunks(self.document, series_of, batch, self.local)
        if self.watch is not None:
            batch.chunks = self.watch(batch.chunks)
        return batch


def parse_body(
    body: bytes, *, csv_text: bool, charset: str | None = None, local: LocalTimes | None = None
) -> Posted:
    """A JSON body, or a CSV one (`csv_text`, in `charset` if declared), checked for its shape and
    labels (422). `local`: the timezone (and DST choice) of its local times, if the request gave one."""
    if csv_text:
        parsed = read_csv(body, charset)
        most = (body.count(b"\n") + body.count(b"\r") + 1) * len(parsed.labels)
        return Posted(parsed.labels, most, table=parsed, local=local)
    document = read_json(body)
    most = sum(len(points) for points in document.values())
    return Posted(list(document), most, document=document, local=local)


def python_points(document: Mapping[Any, Mapping[datetime | str, float | None]]) -> Posted:
    """Points given by Python code, in the JSON body's shape: {timeseries id (int or text) or name:
    {aware datetime (or ISO 8601 text): value}}; None values are skipped."""
    data = {
        str(label): {(t.isoformat() if isinstance(t, datetime) else t): v for t, v in points.items()}
        for label, points in document.items()
    }
    if "" in data:
        raise Unprocessable("Wrong timeseries ID: empty timeseries key")
    return Posted(list(data), sum(len(points) for points in data.values()), document=data)


def id_labels(labels: list[str]) -> list[int]:
    """Timeseries ids of the by-id routes: integers, else 'Wrong timeseries ID type'."""
    ids = []
    for label in labels:
        if not _INTEGER.fullmatch(label):
            raise Unprocessable(f"Wrong timeseries ID type: {_shown(label)}")
        ids.append(parse_integer(label))
    return ids


# JSON: {"<label>": {"<timestamp>": value, ...}, ...}
def read_json(body: bytes) -> dict[str, dict[str, Any]]:
    """The parsed body, checked for its shape and non-empty labels."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Unprocessable("Wrong JSON file" + _json_hint(body)) from None
    if not isinstance(data, dict) or not all(isinstance(points, dict) for points in data.values()):
        raise Unprocessable("Wrong JSON file: expected {timeseries: {timestamp: value}}")
    if "" in data:
        raise Unprocessable("Wrong timeseries ID: empty timeseries key")
    return data


def _json_hint(body: bytes) -> str:
    """What to do when a body that is not JSON was sent as JSON: most often a CSV file sent
    without its Content-Type (curl -d or --data-binary send application/x-www-form-urlencoded)."""
    start = body.lstrip(b'\xef\xbb\xbf \t\r\n"')
    if start[: len(TIME_COLUMN)].lower() == TIME_COLUMN.lower().encode():
        return (
            ": this looks like CSV. Send it with Content-Type: text/csv"
            " (curl: -H 'Content-Type: text/csv' --data-binary @file.csv)"
        )
    return ""


def _json_chunks(
    data: dict[str, dict[str, Any]], series_of: dict[str, int], batch: Batch, local: LocalTimes | None
) -> Iterator[bytes]:
    rows: list[bytes] = []
    append, pack = rows.append, ROW.pack
    known: dict[str, int] = {}  # timestamp text -> µs, shared by series posted at the same instants
    for label, points in data.items():
        series_id = series_of[label]
        low, high = MAX_US, MIN_US - 1
        count = 0
        for text, raw in points.items():
            if raw is None:
                continue
            count += 1
            micros = known.get(text)
            if micros is None:
                micros = known[text] = parse_timestamp(text, local)
            if type(raw) is float and storable(raw):
                value = raw
            else:
                value = parse_value(raw, f"for timeseries {_shown(label)} at {_shown(text)}")
            append(pack(3, 4, series_id, 8, micros, 8, value))
            if micros < low:
                low = micros
            if micros > high:
                high = micros
            if len(rows) >= CHUNK_ROWS:
                yield b"".join(rows)
                rows.clear()
        batch.extend(series_id, low, high, count)
    if rows:
        yield b"".join(rows)


# CSV: "Datetime,<label>,..." then one line per timestamp; an empty cell is no value. Separator,
# encoding and decimal mark as http/csvtext.py reads them.
TIME_COLUMN = "Datetime"


@dataclass(slots=True)
class CsvBody:
    labels: list[str]
    reader: Any  # csv reader positioned after the header
    decimal_comma: bool = False


def read_csv(body: bytes, charset: str | None = None) -> CsvBody:
    try:
        source = csvtext.read_text(body, charset, first=TIME_COLUMN)
    except csvtext.CsvProblem as problem:
        where = f" at line {problem.line}" if problem.line else ""
        raise Unprocessable(f"Invalid file: {problem.detail}{where}") from None
    if not source.text.strip():
        raise Unprocessable("Empty file")
    reader = source.reader(strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise Unprocessable(f"Bad CSV file: {exc}") from None
    if not header:
        raise Unprocessable("Missing headers")
    try:
        names = csvtext.header_names(header, reader.line_num)
    except csvtext.CsvProblem as problem:
        raise Unprocessable(f"Bad CSV file: the header names {shown(problem.column)} twice") from None
    if any(name == "" for name in names):
        raise Unprocessable("Empty timeseries name or trailing comma")
    if names[0] != TIME_COLUMN:
        hint = ""
        if any(sep in names[0] for sep in csvtext.SEPARATORS):
            hint = " (the separator is detected from the header line: , ; or tab)"
        raise Unprocessable(f"Invalid file: the first header must be 'Datetime', not {shown(names[0])}{hint}")
    return CsvBody(names[1:], reader, source.decimal_comma)


def _comma_float(cell: str) -> float:
    return float(cell.replace(",", "."))


def _csv_chunks(
    body: CsvBody, series_of: dict[str, int], batch: Batch, local: LocalTimes | None
) -> Iterator[bytes]:
    rows: list[bytes] = []
    append, pack = rows.append, ROW.pack
    columns = [series_of[label] for label in body.labels]
    width = len(columns) + 1
    lows = [MAX_US] * len(columns)
    highs = [MIN_US - 1] * len(columns)
    missing = [0] * len(columns)  # empty or absent cells: a column's points are lines - missing
    lines = 0
    reader = body.reader
    comma = body.decimal_comma
    number = _comma_float if comma else float
    try:
        for row in reader:
            if not row:
                continue  # blank line
            lines += 1
            if len(row) != width:
                if len(row) > width:
                    raise Unprocessable(
                        f"Bad CSV file: line {reader.line_num} has {len(row)} cells, the header {width}"
                    )
                for position in range(len(row) - 1, width - 1):
                    missing[position] += 1
            micros = parse_timestamp(row[0], local)
            for position, cell in enumerate(row[1:]):
                if not cell or cell.isspace():
                    missing[position] += 1
                    continue
                try:
                    value = number(cell)
                except ValueError:
                    value = math.nan
                if not storable(value):
                    where = f"at line {reader.line_num}, column {shown(body.labels[position])}"
                    if not comma and "," in cell:
                        where += " (a decimal comma is read in files separated by ; or tab)"
                    parse_value(cell.replace(",", ".") if comma else cell, where, cell)
                append(pack(3, 4, columns[position], 8, micros, 8, value))
                if micros < lows[position]:
                    lows[position] = micros
                if micros > highs[position]:
                    highs[position] = micros
            if len(rows) >= CHUNK_ROWS:
                yield b"".join(rows)
                rows.clear()
    except csv.Error as exc:
        raise Unprocessable(f"Bad CSV file: line {reader.line_num}: {exc}") from None
    except BadTimestamp as exc:
        raise exc.located(f"at line {reader.line_num}, column {shown(TIME_COLUMN)}") from None
    for position, series_id in enumerate(columns):
        batch.extend(series_id, lows[position], highs[position], lines - missing[position])
    if rows:
        yield b"".join(rows)
