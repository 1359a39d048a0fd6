"""Campaigns, campaign scopes and the user groups linked to them."""

from bemserver.domain import Domain

DOMAIN = Domain(
    "campaigns",
    position=30,
    models=("bemserver.campaigns.models",),
    routes=("bemserver.campaigns.resources",),
    rules="bemserver.campaigns.rules",
    factories="tests.campaigns.factories",
)
