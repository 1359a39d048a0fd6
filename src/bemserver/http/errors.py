"""The error envelope {"code","status","message","errors"} and the exception -> status mapping."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from bemserver.http.responses import JSONBytes
from bemserver.http.routing import allow_header, allowed_methods
from bemserver.http.validation import validation_errors

log = logging.getLogger("bemserver")


class ApiError(Exception):
    """A client-visible error; services raise it (or a subclass) and never build responses."""

    status_code = 400

    def __init__(
        self,
        message: str | None = None,
        errors: dict[str, Any] | None = None,
        *,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or "")
        if status_code is not None:
            self.status_code = status_code
        self.message = message
        self.errors = errors
        self.headers = headers


class NotFound(ApiError):
    status_code = 404


class Forbidden(ApiError):
    status_code = 403

    def __init__(self, message: str = "Authorization error") -> None:
        super().__init__(message)


class Conflict(ApiError):
    status_code = 409


class Unprocessable(ApiError):
    status_code = 422


class PreconditionFailed(ApiError):
    status_code = 412


class PayloadTooLarge(ApiError):
    status_code = 413


class PreconditionRequired(ApiError):
    status_code = 428


class Unauthorized(ApiError):
    status_code = 401

    def __init__(self, code: str, methods: list[str]) -> None:
        super().__init__(errors={"authentication": code}, headers={"WWW-Authenticate": ", ".join(methods)})


def envelope(status: int, message: str | None = None, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return body


def error_response(
    status: int,
    message: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONBytes:
    return JSONBytes(envelope(status, message, errors), status_code=status, headers=headers)


async def _api_error(_: Request, exc: Exception) -> JSONBytes:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.message, exc.errors, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONBytes:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase else None
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods; list every route's.
        methods = allowed_methods(request.app, request.scope)
        if methods:
            headers = {"Allow": allow_header(methods)}
    return error_response(exc.status_code, message, headers=headers)


async def _validation_error(_: Request, exc: Exception) -> JSONBytes:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("loc", ("",))[0] == "path" for err in errors):
        return error_response(404)
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(400, errors={"json": ["Invalid JSON body."]})
    return error_response(422, errors=validation_errors(errors))


def integrity_message(exc: IntegrityError) -> str | None:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate == "23505":
        return "Unique constraint violation"
    if sqlstate == "23503":
        return "Foreign key constraint violation"
    if sqlstate == "23502":
        column = getattr(getattr(exc.orig, "diag", None), "column_name", None)
        return f"Missing value for {column}" if column else "Missing value"
    return None


async def _integrity_error(_: Request, exc: Exception) -> JSONBytes:
    assert isinstance(exc, IntegrityError)
    return error_response(409, integrity_message(exc))


# How long clients are told to wait before trying again when the database cannot serve.
RETRY_AFTER = "2"
# The database is gone, restarting, refusing writes or out of room: nothing was written, and the
# same request will work later. SQLSTATE classes 08 (connection), 53 (insufficient resources:
# disk full, out of memory, too many connections), 57P (shut down, restarting), and 25006 (a
# read-only database, e.g. a standby or default_transaction_read_only).
_UNAVAILABLE_CLASSES = ("08", "53", "57P")
_UNAVAILABLE_STATES = {"25006"}


def database_unavailable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if sqlstate in _UNAVAILABLE_STATES or sqlstate.startswith(_UNAVAILABLE_CLASSES):
        return True
    # Failures to connect, and connections lost mid-statement, carry no SQLSTATE.
    return isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)) and not sqlstate


def unavailable_response(exc: BaseException) -> JSONBytes:
    orig = getattr(exc, "orig", exc)
    read_only = (getattr(orig, "sqlstate", None) or "") == "25006"
    disk_full = (getattr(orig, "sqlstate", None) or "") == "53100"
    log.warning(
        "database unavailable: %s",
        str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__,
    )
    message = (
        "The database accepts no writes for now: please try again later"
        if read_only
        else "The database is out of disk space: please try again later"
        if disk_full
        else "The database is unavailable: please try again"
    )
    return error_response(503, message, headers={"Retry-After": RETRY_AFTER})


async def _db_error(_: Request, exc: Exception) -> JSONBytes:
    """Data errors that slipped past validation (value out of range...) are the client's fault."""
    assert isinstance(exc, DBAPIError)
    if database_unavailable(exc):
        return unavailable_response(exc)
    sqlstate = getattr(exc.orig, "sqlstate", "") or ""
    # Class 22 (data exception) and psycopg's own refusals (e.g. a NUL character in a string).
    if sqlstate.startswith("22") or isinstance(exc.orig, psycopg.DataError):
        return error_response(422, "Invalid value: " + str(exc.orig).splitlines()[0])
    if sqlstate in ("40P01", "40001"):  # deadlock, serialization failure: nothing was written
        return error_response(409, "Concurrent requests on the same rows: please try again")
    log.exception("database error", exc_info=exc)
    return error_response(500)


async def _pool_timeout(_: Request, exc: Exception) -> JSONBytes:
    log.warning("no database connection free in time: %s", exc)
    return error_response(503, "The database is busy: please try again", headers={"Retry-After": RETRY_AFTER})


async def _driver_error(_: Request, exc: Exception) -> JSONBytes:
    """A psycopg error that reached us unwrapped (a connection lost outside SQLAlchemy)."""
    if database_unavailable(exc):
        return unavailable_response(exc)
    log.exception("database error", exc_info=exc)
    return error_response(500)


async def _not_utf8(_: Request, exc: Exception) -> JSONBytes:
    """Text with a lone surrogate (JSON allows "\\ud800") reaching the database driver."""
    return error_response(422, "Invalid value: not a valid utf-8 string")


async def _client_gone(_: Request, exc: Exception) -> JSONBytes:
    """The client closed the connection while sending its body: nobody reads this answer."""
    return error_response(400, "Incomplete request body")


async def _unexpected(_: Request, exc: Exception) -> JSONBytes:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _db_error)
    app.add_exception_handler(SQLAlchemyTimeout, _pool_timeout)
    app.add_exception_handler(psycopg.Error, _driver_error)
    app.add_exception_handler(UnicodeEncodeError, _not_utf8)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
