"""Users, user groups and group memberships."""

from bemserver.domain import Domain

DOMAIN = Domain(
    "users",
    position=20,
    models=("bemserver.users.models",),
    routes=("bemserver.users.resources", "bemserver.users.routes"),
    rules="bemserver.users.rules",
    factories="tests.users.factories",
)
