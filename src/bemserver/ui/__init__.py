"""The web interface at /ui: server-rendered pages (Jinja2 + htmx) and a chart explorer (uPlot),
built on the API itself, called in-process with the signed-in user's token (docs/ui.md)."""

from bemserver.domain import Domain

# Last in the tag order: it serves no API operation (its routes are left out of the spec).
DOMAIN = Domain("ui", position=900, routes=("bemserver.ui.routes",))
