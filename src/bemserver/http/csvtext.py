"""The one CSV reader of every request body or uploaded file (timeseries data, /io/ files).

Spreadsheets write CSV in several dialects; this reads them all the same way:
- the encoding: a declared charset (Content-Type `charset=`), else UTF-8 (with or without BOM),
  UTF-16 with BOM, else Windows-1252 (what spreadsheets on Western-European Windows write),
  unless the bytes mix encodings;
- the separator: `,` `;` or tab, the one after the header's first name when the caller knows it
  (`Datetime`), else the one used most in the header line (outside quotes);
- numbers: with `;` or tab as separator, a decimal comma (`1,5`) is a decimal point;
- the header: names trimmed of blanks, duplicates refused;
- blanks around a quoted cell (`a;  "b;c"  ;d`) are dropped and the cell unquoted, as if it had
  none; unquoted cells keep theirs.

Problems raise `CsvProblem(detail, line, column)`; each caller turns it into its own 422.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

SEPARATORS = (",", ";", "\t")  # by preference when the header line has as many of each
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class CsvProblem(ValueError):
    """A file that cannot be read: what is wrong, and where when known (1-based line, column name)."""

    def __init__(self, detail: str, line: int | None = None, column: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.line, self.column = detail, line, column


# A well-formed UTF-8 multi-byte sequence: its presence in a file that is not valid UTF-8 means mixed
# encodings, which no single decoding would read correctly.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_UTF8_NAMES = {"utf-8", "utf8", "utf_8"}


def decode(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """(text, encoding name) of the bytes: see the module's docstring."""
    try:
        if charset and charset.strip().lower() not in _UTF8_NAMES:
            text, encoding = _declared(data, charset.strip())
        elif data.startswith(codecs.BOM_UTF8):
            text, encoding = _strict(data, "utf-8-sig", "UTF-8"), "UTF-8"
        elif charset:  # declared UTF-8: no guess
            text, encoding = _strict(data, "utf-8", "UTF-8"), "UTF-8"
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text, encoding = _strict(data, "utf-16", "UTF-16"), "UTF-16"
        else:
            text, encoding = _utf8_or_cp1252(data)
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1 if exc.encoding != "utf-16" else None
        byte = exc.object[exc.start : exc.start + 1].hex()
        raise CsvProblem(f"{exc.reason}, byte 0x{byte}. Save the file as CSV UTF-8.", line) from None
    if "\x00" in text:
        raise CsvProblem("Not a CSV text file (it contains NUL characters). Save the sheet as CSV.")
    return text, encoding


def _declared(data: bytes, charset: str) -> tuple[str, str]:
    try:
        name = codecs.lookup(charset).name
        if not getattr(codecs.lookup(charset), "_is_text_encoding", True):
            raise LookupError(charset)
    except LookupError:
        raise CsvProblem(f"Unknown charset {charset!r} (use utf-8 or windows-1252)") from None
    if data.startswith(codecs.BOM_UTF8) and name == "utf-8":
        data = data[len(codecs.BOM_UTF8) :]
    return _strict(data, name, charset), name


def _strict(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise UnicodeDecodeError(
            codec, exc.object, exc.start, exc.end, f"Invalid {label} ({exc.reason})"
        ) from None


def _utf8_or_cp1252(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        if _UTF8_SEQUENCE.search(data):
            reason = "Invalid UTF-8 in a file that has valid UTF-8 elsewhere: mixed encodings"
            raise UnicodeDecodeError("utf-8", exc.object, exc.start, exc.end, reason) from None
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        reason = "Neither UTF-8 nor Windows-1252 text"
        raise UnicodeDecodeError("cp1252", exc.object, exc.start, exc.end, reason) from None


def detect_separator(text: str) -> str:
    """The separator used most often in the header line (outside quotes); a comma if none is."""
    end = len(text)
    for stop in ("\n", "\r"):
        found = text.find(stop, 0, end)
        if found >= 0:
            end = found
    line = text[:end]
    if '"' in line:  # quoted names may hold separators or line breaks: count outside quotes
        return _separator_outside_quotes(text)
    counts = {sep: line.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # first of equals wins
    return best if counts[best] else ","


def _separator_outside_quotes(text: str) -> str:
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in ("\n", "\r"):
            break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


@dataclass(frozen=True, slots=True)
class CsvText:
    """A decoded CSV file and its dialect."""

    text: str
    encoding: str
    separator: str

    @property
    def decimal_comma(self) -> bool:
        """With `;` or tab as separator, "1,5" is one and a half."""
        return self.separator != ","

    def reader(self, strict: bool = False) -> Iterator[list[str]]:
        """A csv reader over the text (its `line_num` is the physical line last read)."""
        text = unpadded(self.text, self.separator)
        return csv.reader(io.StringIO(text, newline=""), delimiter=self.separator, strict=strict)


def _blanks(separator: str) -> str:
    return " " if separator == "\t" else " \t"


def unpadded(text: str, separator: str) -> str:
    """The text without the blanks around its quoted cells (the csv module would keep the quotes
    of `;  "x"` and split a separator inside them). Unchanged, at the cost of one search, when no
    quoted cell has blanks before or after it."""
    sep, blanks = re.escape(separator), _blanks(separator)
    padded = rf'(?:^|[{sep}\r\n])[{blanks}]+"|"[{blanks}]+(?:[{sep}\r\n]|$)'
    if not re.search(padded, text):
        return text
    # A quoted cell starts a cell (at the start of a line or after a separator): scanning whole
    # quoted cells, a separator or quote inside one is never taken for a cell boundary.
    cell = re.compile(rf'(?:(?<=[{sep}\r\n])|^)[{blanks}]*("(?:[^"]|"")*+")[{blanks}]*(?=[{sep}\r\n]|$)')
    return cell.sub(lambda found: found.group(1), text)


def read_text(data: bytes, charset: str | None = None, first: str | None = None) -> CsvText:
    """The decoded text and its dialect. `first`: the name the header must start with; the
    separator is then the character after it (names holding another separator do not matter)."""
    text, encoding = decode(data, charset)
    separator = None
    if first is not None:
        match = re.match(rf'[ ]*"?{re.escape(first)}"?[ ]*([,;\t])', text)
        separator = match.group(1) if match else None
    return CsvText(text, encoding, separator or detect_separator(text))


def records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(starting line, cells) of each non-blank record of a csv reader."""
    while True:
        start = reader.line_num + 1  # type: ignore[attr-defined]
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvProblem(f"Unreadable CSV: {exc}", start) from None
        if cells:
            yield start, cells


def header_names(cells: list[str], line: int) -> list[str]:
    """The header's names trimmed of blanks; a name found twice is refused (empty names are left
    to the caller)."""
    names = [cell.strip() for cell in cells]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise CsvProblem("Duplicate column", line, name)
        if name:
            seen.add(name)
    return names


_DECIMAL_COMMA = re.compile(r"[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?")


def number_text(value: str) -> str:
    """A numeric cell in Python form: blanks stripped, a decimal comma made a point ("1234,5")."""
    value = value.strip()
    if _DECIMAL_COMMA.fullmatch(value):
        return value.replace(",", ".")
    return value
