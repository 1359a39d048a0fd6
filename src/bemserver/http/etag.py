"""Strong ETags computed from response bytes; If-None-Match (304) and If-Match (412/428)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.responses import Response

from bemserver.http.errors import PreconditionFailed, PreconditionRequired


def etag_of(*parts: bytes) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return f'"{digest.hexdigest()}"'


def _tags(header: str, *, weak: bool = True) -> set[str]:
    """The header's entity tags; weak ones (W/"...") as their strong twin, or left out (`weak`
    False: If-Match compares strongly, RFC 9110 13.1.1)."""
    tags = set()
    for raw in header.split(","):
        tag = raw.strip()
        if tag.startswith("W/"):
            if not weak:
                continue
            tag = tag[2:]
        if tag:
            tags.add(tag)
    return tags


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    return bool(header) and (etag in _tags(header) or "*" in _tags(header))


def with_etag(request: Request, response: Response, etag: str) -> Response:
    """Attach the ETag; answer 304 when the client already holds it (GET/HEAD only)."""
    if request.method in ("GET", "HEAD") and not_modified(request, etag):
        headers = {"ETag": etag}
        for name in ("X-Pagination",):
            if name in response.headers:
                headers[name] = response.headers[name]
        return Response(status_code=304, headers=headers)
    response.headers["ETag"] = etag
    return response


IF_MATCH_MISSING = (
    "This request needs an If-Match header: GET the item, then send its ETag back, e.g."
    """ curl -H 'If-Match: "<ETag>"' (the ETag with its quotes)"""
)


async def require_if_match(
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> str:
    """PUT/DELETE on ETag resources need If-Match; checked before the body is validated."""
    if not if_match:
        raise PreconditionRequired(IF_MATCH_MISSING)
    return if_match


IfMatch = Annotated[str, Depends(require_if_match)]


def check_if_match(if_match: str, current_etag: str) -> None:
    tags = _tags(if_match, weak=False)
    if "*" not in tags and current_etag not in tags:
        raise PreconditionFailed()
