"""Resource declarations (to be written)."""

from bemserver.crud import Resource

RESOURCES: tuple[Resource, ...] = ()
