"""Users, user groups and group memberships."""

from bemserver.domain import Domain

DOMAINS = (
    # The login routes are the reference's first tag, served when Bearer auth is enabled.
    Domain(
        "login",
        position=0,
        routes=("bemserver.users.login",),
        enabled=lambda settings: "Bearer" in settings.auth_methods,
    ),
    Domain(
        "users",
        position=20,
        models=("bemserver.users.models",),
        routes=("bemserver.users.resources", "bemserver.users.routes"),
        rules="bemserver.users.rules",
        factories="tests.users.factories",
    ),
)
