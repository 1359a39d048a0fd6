"""Rate limit of POST /auth/token: failed logins counted per account and per client address.

The counts live in PostgreSQL (table login_failures), so that every server process of one
database shares them. Each attempt first adds one to both counts in one autocommit statement
(atomic under concurrency, no lock held while the password is checked); a success takes its
attempt back. A key over its limit answers 429 with Retry-After until its window ends: fixed
windows of `login_window` seconds. Other accounts and addresses are never slowed down.
"""

from __future__ import annotations

import math

from bemserver.db.driver import fetch_all, fetch_one
from bemserver.db.engine import Reader
from bemserver.http.errors import ApiError

_TAKE = """
INSERT INTO login_failures AS f (key, window_start, failures)
SELECT key, now(), 1 FROM unnest(%(keys)s::text[]) AS key ORDER BY key
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN f.window_start <= now() - make_interval(secs => %(window)s)
        THEN 1 ELSE f.failures + 1 END,
    window_start = CASE WHEN f.window_start <= now() - make_interval(secs => %(window)s)
        THEN now() ELSE f.window_start END
RETURNING key, failures,
    extract(epoch FROM f.window_start + make_interval(secs => %(window)s) - now())::float8 AS left
"""
_GIVE_BACK = (
    "UPDATE login_failures SET failures = failures - 1 WHERE key = %(address)s AND failures > 0"
    " RETURNING failures"
)
_FORGET = (
    "DELETE FROM login_failures WHERE key = %(account)s"
    " OR window_start < now() - make_interval(secs => %(window)s) RETURNING key"
)


class TooManyAttempts(ApiError):
    status_code = 429

    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"Too many failed logins: try again in {seconds} s.", headers={"Retry-After": str(seconds)}
        )


def login_keys(email: str, address: str) -> tuple[str, str]:
    return f"account:{email.lower()}", f"address:{address}"


async def take_attempt(
    connection: Reader, email: str, address: str, per_account: int, per_address: int, window: int
) -> None:
    """Count one attempt; TooManyAttempts when the account or the address is over its limit."""
    account, address_key = login_keys(email, address)
    limits = {account: per_account, address_key: per_address}
    rows = await fetch_all(connection, _TAKE, {"keys": sorted(limits), "window": window})
    waits = [row["left"] for row in rows if row["failures"] > limits[row["key"]]]
    if waits:
        raise TooManyAttempts(max(1, math.ceil(max(waits))))


async def give_back(connection: Reader, email: str, address: str, window: int) -> None:
    """A successful login: the account starts afresh, the address gets its attempt back, and
    counts whose window ended long ago are dropped."""
    account, address_key = login_keys(email, address)
    await fetch_one(connection, _GIVE_BACK, {"address": address_key})
    await fetch_one(connection, _FORGET, {"account": account, "window": 2 * window})
