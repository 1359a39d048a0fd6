"""Interactive API explorer at /: Swagger UI 5, which reads OpenAPI 3.1, shipped inside the package.

The page and its assets (assets/swagger-ui/, vendored from the npm package swagger-ui-dist, see its
README.md) need nothing from the internet. Every URL in the page is relative, so it also works when
the API is mounted under a prefix (e.g. /api/v0/).
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_UI_VERSION = "5.36.0"
ASSETS = "docs-assets"
HERE = Path(__file__).resolve().parent


def install_docs(app: FastAPI) -> None:
    app.mount(f"/{ASSETS}", StaticFiles(directory=HERE / "assets"), name=ASSETS)
    page = (HERE / "page.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    async def documentation() -> HTMLResponse:
        return HTMLResponse(page)
