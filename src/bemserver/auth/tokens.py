"""HS256 JWTs whose claims are exactly email, exp and type."""

from __future__ import annotations

import time
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


def decode_token(secret: str, token: str, kind: TokenType) -> str:
    """Return the token's email; `exp` is only checked when present, as the reference does."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": []})
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid() from exc
    email, token_type = claims.get("email"), claims.get("type")
    if not isinstance(email, str) or token_type != kind:
        raise TokenInvalid()
    return email
