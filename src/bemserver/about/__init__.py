"""GET /about/."""

from bemserver.domain import Domain

DOMAIN = Domain("about", position=10, routes=("bemserver.about.routes",))
