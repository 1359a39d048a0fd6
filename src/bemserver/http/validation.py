"""Pydantic validation errors rendered as the reference's {"json"|"query": {field: [messages]}}."""

from __future__ import annotations

import re
from typing import Any

_MESSAGES: dict[str, str] = {
    "missing": "Missing data for required field.",
    "extra_forbidden": "Unknown field.",
    "int_parsing": "Not a valid integer.",
    "int_type": "Not a valid integer.",
    "int_from_float": "Not a valid integer.",
    "float_parsing": "Not a valid number.",
    "float_type": "Not a valid number.",
    "finite_number": "Not a valid number.",
    "string_type": "Not a valid string.",
    "bool_parsing": "Not a valid boolean.",
    "bool_type": "Not a valid boolean.",
    "datetime_parsing": "Not a valid datetime.",
    "datetime_type": "Not a valid datetime.",
    "datetime_from_date_parsing": "Not a valid datetime.",
    "date_parsing": "Not a valid date.",
    "date_type": "Not a valid date.",
    "date_from_datetime_parsing": "Not a valid date.",
    "timezone_aware": "Not a valid aware datetime.",
    "list_type": "Not a valid list.",
    "dict_type": "Not a valid mapping type.",
    "model_type": "Invalid input type.",
    "model_attributes_type": "Invalid input type.",
    "string_unicode": "Not a valid utf-8 string.",
    "value_error": "Invalid value.",
}

_LOCATIONS = {"body": "json", "query": "query", "path": "path", "header": "headers"}


# A time whose "+01:00" came through a URL unencoded: "+" reads as a space there.
_PLUS_AS_SPACE = re.compile(r".*\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}(:?\d{2})?")
PLUS_HINT = (
    "Not a valid datetime. A '+' in a URL query reads as a space: write the offset +01:00 as"
    " %2B01:00 (or use curl -G --data-urlencode 'start_time=...')."
)


def message_for(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    plus_as_space = isinstance(error.get("input"), str) and _PLUS_AS_SPACE.fullmatch(error["input"])
    if kind.startswith("datetime") and plus_as_space:
        return PLUS_HINT
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])
    if kind in ("none_required",):
        return "Field may not be null."
    if kind in ("string_too_short", "string_too_long"):
        return _length_message(error)
    if kind in ("greater_than_equal", "greater_than"):
        return f"Must be greater than or equal to {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"Must be less than or equal to {ctx.get('le', ctx.get('lt'))}."
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"Must be one of: {expected}."
    if (
        kind in ("int_type", "float_type", "string_type", "bool_type", "datetime_type")
        and error.get("input") is None
    ):
        return "Field may not be null."
    if kind == "model_attributes_type" and error.get("input") is None:
        return "Field may not be null."
    return _MESSAGES.get(kind) or str(error.get("msg", "Invalid value."))


def _length_message(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    low = ctx.get("min_length")
    high = ctx.get("max_length")
    if high is not None:
        return f"Longer than maximum length {high}."
    return f"Shorter than minimum length {low}."


def validation_errors(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Nest messages by location then field path: {"json": {"name": ["..."]}}."""
    out: dict[str, Any] = {}
    for error in errors:
        loc = list(error.get("loc") or ())
        location = _LOCATIONS.get(str(loc[0]), str(loc[0])) if loc else "json"
        path = [str(part) for part in loc[1:]] or ["_schema"]
        node = out.setdefault(location, {})
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        messages = node.get(path[-1])
        if not isinstance(messages, list):
            messages = []
            node[path[-1]] = messages
        message = message_for(error)
        if message not in messages:
            messages.append(message)
    return out
