"""The generic mechanism behind every collection/item resource: declarations -> routes."""

from bemserver.crud.resource import Hooks, Resource

__all__ = ["Hooks", "Resource"]
