"""Interactive API documentation at /, served from assets installed with the package (no CDN).

The page links its assets and the spec with relative URLs, so it also works when the API is
mounted under a prefix (e.g. /api/v0/).
"""

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "docs-assets"


def install_docs(app: FastAPI) -> None:
    app.mount(f"/{ASSETS}", StaticFiles(directory=Path(swagger_ui_bundle.swagger_ui_path)), name=ASSETS)
    page = get_swagger_ui_html(
        openapi_url="api-spec.json",
        title="BEMServer API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
    ).body

    @app.get("/", include_in_schema=False)
    async def documentation() -> HTMLResponse:
        return HTMLResponse(page)
