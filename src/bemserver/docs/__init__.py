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
# The page runs only its own scripts and styles, talks only to this server, and is framed by none.
# Swagger UI sets element styles from script (allowed) and shows data: images (its icons).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def install_docs(app: FastAPI) -> None:
    app.mount(f"/{ASSETS}", StaticFiles(directory=HERE / "assets"), name=ASSETS)
    page = (HERE / "page.html").read_text(encoding="utf-8")

    @app.get("/", include_in_schema=False)
    async def documentation() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
