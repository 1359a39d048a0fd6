"""HS256 JWTs naming a user by id and token version.

Claims: `sub` (the user id, as text), `ver` (the user's token version: raised when the user is
deactivated, demoted or changes password, which voids every token issued before), `exp`
(required), `type` ("access" or "refresh"), and `fam` (the refresh token family the token
comes from); refresh tokens also carry `jti`, the family's current member (reuse detection).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import jwt

TokenType = Literal["access", "refresh"]
ALGORITHM = "HS256"
_REQUIRED = ["sub", "ver", "exp", "type"]


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    version: int
    kind: str
    expires: int
    family: str | None = None
    jti: str | None = None


def encode_token(
    secret: str,
    user_id: int,
    version: int,
    kind: TokenType,
    lifetime: int,
    family: str | None = None,
    jti: str | None = None,
) -> str:
    claims: dict[str, object] = {
        "sub": str(user_id),
        "ver": version,
        "exp": int(time.time()) + lifetime,
        "type": kind,
    }
    if family is not None:
        claims["fam"] = family
    if jti is not None:
        claims["jti"] = jti
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TokenInvalid()
    return value


def _optional_text(value: object) -> str | None:
    if value is not None and (not isinstance(value, str) or not value or len(value) > 64):
        raise TokenInvalid()
    return value


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> TokenClaims:
    """The claims of a well-formed token whose signature checks out, else TokenInvalid. Cached
    (not the failures): a client sends one token with every request; the caller checks expiry."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": _REQUIRED, "verify_exp": False, "verify_sub": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid() from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isascii() or not subject.isdigit() or len(subject) > 10:
        raise TokenInvalid()
    user_id = int(subject)
    if not 0 < user_id < 2**31:
        raise TokenInvalid()
    return TokenClaims(
        user_id=user_id,
        version=_integer(claims["ver"]),
        kind=str(claims["type"]),
        expires=_integer(claims["exp"]),
        family=_optional_text(claims.get("fam")),
        jti=_optional_text(claims.get("jti")),
    )


def decode_token(secret: str, token: str, kind: TokenType) -> TokenClaims:
    """The claims of a valid, unexpired token of this kind; refresh tokens must name their family
    and member. TokenExpired only for a token that is otherwise valid."""
    claims = _verified(secret, token)
    if claims.kind != kind:
        raise TokenInvalid()
    if kind == "refresh" and (claims.family is None or claims.jti is None):
        raise TokenInvalid()
    if claims.expires <= time.time():
        raise TokenExpired()
    return claims
