"""Posted points: JSON or CSV bodies parsed straight into binary COPY rows, validated as a whole.

`parse_body` checks the shape and labels; once the labels are resolved, `Posted.batch` packs the
points (series_id int4, µs since 2000 int8, value float8). The first bad timestamp or value stops
everything with a 422, so a request writes all its points or none.
"""

from __future__ import annotations

import csv
import io
import math
import re
import struct
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bemserver.http.errors import Unprocessable
from bemserver.http.fields import DT_MAX, DT_MIN, parse_integer

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MIN_US = (DT_MIN - PG_EPOCH) // MICROSECOND
MAX_US = (DT_MAX - PG_EPOCH) // MICROSECOND  # excluded, as end_time is in reads

ROW = struct.Struct("!hiiiqid")  # 3 fields: (4, series_id), (8, µs), (8, value)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_SHOWN = 80  # characters of a bad input quoted in an error message
CHUNK_ROWS = 8192  # points packed together, then handed to COPY


def instant(micros: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=micros)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


class Batch:
    """Packed points, chunk by chunk as parsed (COPY starts before the end), and per series the
    [first, last] µs span of its points."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.spans: dict[int, list[int]] = {}

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) covering every point of the batch (once every chunk has been produced)."""
        low = min(span[0] for span in self.spans.values())
        high = max(span[1] for span in self.spans.values())
        return instant(low), instant(high + 1)

    def extend(self, series_id: int, low: int, high: int) -> None:
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


# datetime.fromisoformat (3.11) skips any one character before the zone: "00:00:00xZ" parses.
_JUNK_BEFORE_ZONE = re.compile(r"[^0-9][Z+-][0-9:.]*\s*$")


def parse_timestamp(text: str) -> int:
    """µs since 2000-01-01 UTC of an aware ISO 8601 timestamp within the supported range."""
    try:
        if _JUNK_BEFORE_ZONE.search(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, TypeError):
        raise Unprocessable(f"Invalid timestamp: {_shown(text)}") from None
    if moment.tzinfo is None:
        raise Unprocessable(f"Invalid or TZ-naive timestamp: {_shown(text)}")
    try:
        micros = (moment - PG_EPOCH) // MICROSECOND
    except OverflowError:
        micros = MAX_US
    if not MIN_US <= micros < MAX_US:
        raise Unprocessable(
            f"Invalid timestamp: {_shown(text)} is out of range [{DT_MIN.isoformat()}, {DT_MAX.isoformat()})"
        )
    return micros


# Subnormal floats (0 < |x| < 2.2250738585072014e-308) are refused: PostgreSQL's float8 arithmetic
# reports an underflow error when a product or quotient of them rounds to 0 (averages, conversions).
TINY = sys.float_info.min


def storable(value: float) -> bool:
    return math.isfinite(value) and (value == 0.0 or not -TINY < value < TINY)


def parse_value(raw: Any, where: str) -> float:
    """A storable float (finite, not subnormal) from a number, a boolean or a numeric string."""
    try:
        if isinstance(raw, bool | int | float) or (isinstance(raw, str) and raw.strip()):
            number = float(raw)
            if storable(number):
                return number
    except (ValueError, OverflowError):
        pass
    raise Unprocessable(f"Invalid values: {_shown(raw)} {where}")


@dataclass(slots=True)
class Posted:
    """A parsed body: its labels (timeseries ids or names, as posted), at most how many points it
    holds, and its points still to pack (`document`: the parsed JSON; `table`: a CSV reader after the header)."""

    labels: list[str]
    most: int
    document: dict[str, dict[str, Any]] | None = None
    table: CsvBody | None = None

    def batch(self, series_of: dict[str, int]) -> Batch:
        """The points packed, chunk by chunk, for the stored series of each label (JSON nulls and
        empty CSV cells are no points)."""
        batch = Batch(iter(()))
        if self.table is not None:
            batch.chunks = _csv_chunks(self.table, series_of, batch)
        else:
            assert self.document is not None
            batch.chunks = _json_chunks(self.document, series_of, batch)
        return batch


def parse_body(body: bytes, *, csv_text: bool) -> Posted:
    """A JSON body, or a CSV one (`csv_text`), checked for its shape and labels (422)."""
    if csv_text:
        parsed = read_csv(body)
        return Posted(parsed.labels, (body.count(b"\n") + 1) * len(parsed.labels), table=parsed)
    document = read_json(body)
    return Posted(list(document), sum(len(points) for points in document.values()), document=document)


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
        raise Unprocessable("Wrong JSON file") from None
    if not isinstance(data, dict) or not all(isinstance(points, dict) for points in data.values()):
        raise Unprocessable("Wrong JSON file: expected {timeseries: {timestamp: value}}")
    if "" in data:
        raise Unprocessable("Wrong timeseries ID: empty timeseries key")
    return data


def _json_chunks(data: dict[str, dict[str, Any]], series_of: dict[str, int], batch: Batch) -> Iterator[bytes]:
    rows: list[bytes] = []
    append, pack = rows.append, ROW.pack
    known: dict[str, int] = {}  # timestamp text -> µs, shared by series posted at the same instants
    for label, points in data.items():
        series_id = series_of[label]
        low, high = MAX_US, MIN_US - 1
        for text, raw in points.items():
            if raw is None:
                continue
            micros = known.get(text)
            if micros is None:
                micros = known[text] = parse_timestamp(text)
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
        batch.extend(series_id, low, high)
    if rows:
        yield b"".join(rows)


# CSV: "Datetime,<label>,..." then one line per timestamp; an empty cell is no value
@dataclass(slots=True)
class CsvBody:
    labels: list[str]
    reader: Any  # csv reader positioned after the header


def read_csv(body: bytes) -> CsvBody:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"Invalid file: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise Unprocessable("Empty file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise Unprocessable(f"Bad CSV file: {exc}") from None
    if not header:
        raise Unprocessable("Missing headers")
    if any(cell == "" for cell in header):
        raise Unprocessable("Empty timeseries name or trailing comma")
    if header[0] != "Datetime":
        raise Unprocessable(f"Invalid file: the first header must be 'Datetime', not {_shown(header[0])}")
    return CsvBody(header[1:], reader)


def _csv_chunks(body: CsvBody, series_of: dict[str, int], batch: Batch) -> Iterator[bytes]:
    rows: list[bytes] = []
    append, pack = rows.append, ROW.pack
    columns = [series_of[label] for label in body.labels]
    width = len(columns) + 1
    lows = [MAX_US] * len(columns)
    highs = [MIN_US - 1] * len(columns)
    reader = body.reader
    try:
        for row in reader:
            if not row:
                continue  # blank line
            if len(row) > width:
                raise Unprocessable(
                    f"Bad CSV file: line {reader.line_num} has {len(row)} cells, the header {width}"
                )
            micros = parse_timestamp(row[0])
            for position, cell in enumerate(row[1:]):
                if not cell or cell.isspace():
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    value = math.nan
                if not storable(value):
                    parse_value(cell, f"at line {reader.line_num}, column {_shown(body.labels[position])}")
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
    for position, series_id in enumerate(columns):
        batch.extend(series_id, lows[position], highs[position])
    if rows:
        yield b"".join(rows)
