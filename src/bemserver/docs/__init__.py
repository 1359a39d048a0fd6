"""Interactive API explorer at /: Swagger UI 5 (OpenAPI 3.1), vendored in assets/swagger-ui/ (see its
README.md) so it needs no internet; its URLs are relative, so it works under a prefix (/api/v0/).
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
