"""Field types shared by schemas: bounded aware datetimes, IANA timezones, unit symbols."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)

DT_MIN = datetime(1680, 1, 1, tzinfo=UTC)
DT_MAX = datetime(2260, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    if not DT_MIN <= value <= DT_MAX:
        raise ValueError(
            "Must be greater than or equal to 1680-01-01 00:00:00+00:00 and "
            "less than or equal to 2260-01-01 00:00:00+00:00."
        )
    return value


_NUMBER = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")


def _not_a_number(value: Any) -> Any:
    """Pydantic would read a number, or a string of one, as a Unix time: the API takes ISO 8601 only."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("Not a valid datetime.")
    return value


AwareDT = Annotated[
    AwareDatetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_in_range),
    Field(json_schema_extra={"x-minimum": DT_MIN.isoformat(), "x-maximum": DT_MAX.isoformat()}),
]

TIMEZONES: tuple[str, ...] = tuple(
    json.loads(resources.files("bemserver.http").joinpath("timezones.json").read_text())
)
_TZ_SET = frozenset(TIMEZONES)


def _valid_timezone(value: str) -> str:
    if value not in _TZ_SET:
        raise ValueError("Must be one of the IANA timezone names (see the API documentation).")
    return value


Timezone = Annotated[
    str,
    AfterValidator(_valid_timezone),
    WithJsonSchema({"type": "string", "format": "iana-tz", "enum": list(TIMEZONES)}),
]

_ATOM = r"[^@\s,;:<>()\[\]\"\x00-\x1f\x7f]"
_LABEL = r"[^@\s,;:<>()\[\]\".\x00-\x1f\x7f]+"
_EMAIL = re.compile(rf"^{_ATOM}+@(localhost|{_LABEL}(\.{_LABEL})+)$")


def is_valid_email(value: str) -> bool:
    return len(value) <= 80 and _EMAIL.match(value) is not None


def is_utf8(text: str) -> bool:
    """False for text holding a lone surrogate (JSON lets "\\ud800" through; UTF-8 cannot encode it)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _valid_email(value: str) -> str:
    if not is_utf8(value):
        raise ValueError("Not a valid utf-8 string.")
    if not is_valid_email(value):
        raise ValueError("Not a valid email address.")
    return value


def normalized_text(value: Any) -> Any:
    """Surrounding spaces dropped, Unicode in NFC form: names and e-mails that look the same are
    the same (their uniqueness also ignores case, see migration 0015)."""
    if isinstance(value, str) and is_utf8(value):
        return unicodedata.normalize("NFC", value.strip())
    return value


Email = Annotated[
    str,
    BeforeValidator(normalized_text),
    AfterValidator(_valid_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 80}),
]


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value) if is_utf8(value) else value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AfterValidator(nfc)
]
"""The name of a campaign, site, user, group...: normalised, 1 to 80 characters."""

_INT4 = 2**31
# int() refuses decimal strings of more than 4,300 digits (ValueError); any id is far shorter.
_ID_DIGITS = 30
_BEYOND_IDS = 2**63


def parse_integer(text: str) -> int:
    """int(text) for a string of digits with an optional sign; a number too long to be any id
    gives one outside every id range instead of int()'s ValueError."""
    negative = text.startswith("-")
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > _ID_DIGITS:
        return -_BEYOND_IDS if negative else _BEYOND_IDS
    return -int(digits) if negative else int(digits)


def is_database_id(value: int) -> bool:
    return -_INT4 <= value < _INT4


def _database_id(value: int) -> int:
    if not is_database_id(value):
        raise ValueError("Not a valid id.")
    return value


# Item ids in paths: any integer parses, and one out of the database's range is an unknown item (404)
# rather than a database error. Routes declare `item_id: ItemId`.
ItemId = Annotated[int, AfterValidator(_database_id)]
