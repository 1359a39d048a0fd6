"""HS256 JWTs whose claims are exactly email, exp and type."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Literal

import jwt

TokenType = Literal["access", "refresh"]


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def encode_token(secret: str, email: str, kind: TokenType, lifetime: int | None) -> str:
    claims: dict[str, object] = {"email": email}
    if lifetime is not None:
        claims["exp"] = int(time.time()) + lifetime
    claims["type"] = kind
    return jwt.encode(claims, secret, algorithm="HS256")


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[object, object, object]:
    """(email, type, exp) of a token whose signature checks out, else TokenInvalid. Cached (not the
    failures): a client sends one token with every request, and the caller checks the expiry."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": [], "verify_exp": False})
    except jwt.PyJWTError as exc:
        raise TokenInvalid() from exc
    return claims.get("email"), claims.get("type"), claims.get("exp")


def decode_token(secret: str, token: str, kind: TokenType) -> str:
    """Return the token's email; `exp` is only checked when present, as the reference does."""
    email, token_type, expires = _verified(secret, token)
    if expires is not None:
        if not isinstance(expires, (int, float)) or isinstance(expires, bool):
            raise TokenInvalid()
        if expires <= time.time():
            raise TokenExpired()
    if not isinstance(email, str) or token_type != kind:
        raise TokenInvalid()
    return email
