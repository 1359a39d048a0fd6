"""JSON responses serialized with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=JSON_OPTIONS)


class JSONBytes(Response):
    """A JSON response; `content` may already be serialized bytes."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return dumps(content)


def drop_none(item: dict[str, Any]) -> dict[str, Any]:
    """Model responses leave out null fields, as the reference does."""
    return {key: value for key, value in item.items() if value is not None}
