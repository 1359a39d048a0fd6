"""Domains that declare themselves, so that adding one edits no central list.

A domain package's `__init__.py` declares `DOMAIN = Domain("campaigns", position=30, models=(...),
routes=(...), rules=..., factories=..., tasks=(...))`, modules named as text so nothing loads early
(position: its place in the tag order; routes: modules with RESOURCES and/or `router`; rules: a
module whose rules() declares its permission rules). A package whose routes fall at two places of
the tag order declares `DOMAINS = (...)`. The app, Alembic and the tests iterate `discover()`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Domain:
    name: str
    position: int
    models: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    rules: str | None = None
    factories: str | None = None
    tasks: tuple[str, ...] = ()
    enabled: Callable[[Any], bool] | None = None  # whether the app serves its routes, given the Settings

    def route_modules(self) -> Iterator[ModuleType]:
        return map(importlib.import_module, self.routes)

    def resources(self) -> list[Any]:
        """The Resource declarations of its route modules, in order."""
        return [resource for module in self.route_modules() for resource in getattr(module, "RESOURCES", ())]


def discover(package: str = "bemserver") -> list[Domain]:
    """Every Domain declared by a subpackage of `package`, in tag order."""
    root = importlib.import_module(package)
    found: list[Domain] = []
    for info in pkgutil.iter_modules(root.__path__, f"{package}."):
        if info.ispkg:
            module = importlib.import_module(info.name)
            single = getattr(module, "DOMAIN", None)
            found.extend([single] if isinstance(single, Domain) else getattr(module, "DOMAINS", ()))
    positions = [domain.position for domain in found]
    if len(set(positions)) != len(positions):
        raise RuntimeError(f"Two domains at one position: {sorted(positions)}")
    return sorted(found, key=lambda domain: domain.position)


def load_models(domains: list[Domain]) -> None:
    """Import every domain's tables, so that Base.metadata knows them all."""
    for domain in domains:
        for name in domain.models:
            importlib.import_module(name)


_RULED: set[str] = set()


def declare_rules(domains: list[Domain]) -> None:
    """Each domain's permission rules, declared once per process."""
    for domain in domains:
        if domain.rules is not None and domain.name not in _RULED:
            importlib.import_module(domain.rules).rules()
            _RULED.add(domain.name)
