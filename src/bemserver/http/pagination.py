"""Page/page_size parameters and the X-Pagination header."""

from __future__ import annotations

import json
import math

# Far beyond any real list, and small enough for (page - 1) * page_size to fit the database's int8.
MAX_PAGE = 2**31 - 1


def pagination_header(total: int, page: int, page_size: int) -> str:
    """JSON with spaces and keys in the reference order; absent keys omitted."""
    meta: dict[str, int] = {"total": total}
    pages = math.ceil(total / page_size) if total else 0
    meta["total_pages"] = pages
    if pages:
        meta["first_page"] = 1
        meta["last_page"] = pages
        if page <= pages:
            meta["page"] = page
            if page > 1:
                meta["previous_page"] = page - 1
            if page < pages:
                meta["next_page"] = page + 1
    return json.dumps(meta)
