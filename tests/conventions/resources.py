"""Every Resource the app mounts, found the way create_app finds them, and the parametrize helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bemserver import domain
from bemserver.crud import Resource
from tests.factories import FACTORIES, PENDING


def mounted_resources() -> list[Resource]:
    return [resource for found in domain.discover() for resource in found.resources()]


RESOURCES = mounted_resources()
UNKNOWN_ID = 2_000_000_000


def over(predicate: Callable[[Resource], bool] = lambda _: True) -> Any:
    """@over(lambda r: r.etag): parametrize a test with the resources that match, ids = their paths."""
    chosen = [resource for resource in RESOURCES if predicate(resource)]
    return pytest.mark.parametrize("resource", chosen, ids=[resource.path for resource in chosen])


def operations(resource: Resource) -> list[tuple[str, str]]:
    """(method, path) of each operation the declaration switches on; item paths use id 1."""
    item = f"{resource.path}1"
    candidates = [
        (resource.list, "GET", resource.path),
        (resource.create is not None, "POST", resource.path),
        (resource.get, "GET", item),
        (resource.update is not None, "PUT", item),
        (resource.delete, "DELETE", item),
    ]
    return [(method, path) for enabled, method, path in candidates if enabled]


def over_operations(predicate: Callable[[Resource], bool] = lambda _: True) -> Any:
    cases = [
        (resource, method, path)
        for resource in RESOURCES
        if predicate(resource)
        for method, path in operations(resource)
    ]
    return pytest.mark.parametrize(
        ("resource", "method", "path"), cases, ids=[f"{method} {path}" for _, method, path in cases]
    )


def need_factory(resource: Resource) -> None:
    """Skip a row-dependent test for a resource still listed in tests/factories.py PENDING."""
    if resource.path not in FACTORIES:
        if resource.path in PENDING:
            pytest.skip(f"no factory yet for {resource.path} (tests/factories.py PENDING)")
        pytest.fail(f"no factory for {resource.path}: add one to its domain's test factories")


def required_fields(model: Any) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


def update_body(
    resource: Resource, body: dict[str, Any], row: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The part of a create body that the update schema accepts; fields declared `immutable`
    keep the values of `row`, the item to update."""
    assert resource.update is not None
    kept = {name: row[name] for name in resource.immutable} if row is not None else {}
    return {key: kept.get(key, value) for key, value in body.items() if key in resource.update.model_fields}
