"""OpenAPI pieces: the Error schema, documented error responses, security schemes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict


class Error(BaseModel):
    """The error envelope every 4xx/5xx response uses."""

    model_config = ConfigDict(extra="forbid")
    code: int
    status: str
    message: str | None = None
    errors: dict[str, Any] | None = None


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Error, "description": HTTPStatus(code).phrase} for code in codes} | {
        "default": {"model": Error, "description": "Default error response"}
    }


def install_openapi(app: FastAPI, auth_methods: list[str], version: str) -> None:
    """Security schemes as the reference declares them; public routes opt out with security []."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title="BEMServer API",
            version=version,
            openapi_version="3.1.0",
            routes=app.routes,
            separate_input_output_schemas=False,
            # FastAPI adds the mount prefix (root_path) here: "Try it out" then calls the right URLs.
            servers=app.servers or None,
        )
        schemes: dict[str, Any] = {}
        if "Bearer" in auth_methods:
            schemes["BearerAuthentication"] = {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
            }
        if "Basic" in auth_methods:
            schemes["BasicAuthentication"] = {"type": "http", "scheme": "basic"}
        spec.setdefault("components", {})["securitySchemes"] = schemes
        spec["security"] = [{name: []} for name in schemes]
        _merge_body_and_response_schemas(spec, getattr(app.state, "schema_pairs", []))
        public = getattr(app.state, "public_paths", set())
        for path, item in spec.get("paths", {}).items():
            for method, operation in item.items():
                if (method.upper(), path) in public:
                    operation["security"] = []
        app.openapi_schema = spec
        return spec

    app.openapi = build  # type: ignore[method-assign]


def _merge_body_and_response_schemas(spec: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
    """Document one shape per resource, as the reference does: the response schema lists the
    write-only fields of the body (writeOnly) and the body lists the response's read-only ones."""
    schemas = spec.get("components", {}).get("schemas", {})
    for read_name, body_name in pairs:
        read, body = schemas.get(read_name), schemas.get(body_name)
        if read is None or body is None or read is body:
            continue
        read_props, body_props = (
            read.setdefault("properties", {}),
            body.setdefault("properties", {}),
        )
        for name, prop in list(body_props.items()):
            if name not in read_props:
                read_props[name] = {**prop, "writeOnly": True}
        for name, prop in list(read_props.items()):
            if name not in body_props and not prop.get("writeOnly"):
                body_props[name] = {**prop, "readOnly": True}
