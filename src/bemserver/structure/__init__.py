"""The building model: sites -> buildings -> storeys -> spaces, zones, and their properties."""

from bemserver.domain import Domain

DOMAIN = Domain(
    "structure",
    position=60,
    models=("bemserver.structure.models",),
    routes=("bemserver.structure.resources",),
    rules="bemserver.structure.rules",
    factories="tests.structure.factories",
)
