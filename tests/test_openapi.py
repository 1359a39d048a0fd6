"""The served OpenAPI document, its agreement with the reference contract, and the offline docs page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_CHECK = ROOT.parent / "shared" / "tools" / "contract_check.py"

# Contract paths whose every operation must be complete. Domains add their own regular expression.
CONTRACT_PATHS = {
    "foundation": r"^/(auth|about|users|user_groups/|user_groups/\{|users_by_user_groups)",
    "events": r"^/(event|timeseries_by_events|notifications)",
    "energy": r"^/energ(ies|y_)",
}


@pytest.fixture(scope="module")
def spec(app) -> dict:
    return app.openapi()


class TestSpec:
    async def test_served_as_openapi_3_1(self, client):
        response = await client.get("/api-spec.json")
        assert response.status_code == 200
        body = response.json()
        assert body["openapi"] == "3.1.0"
        assert body["info"]["title"] == "BEMServer API"

    def test_security_schemes_and_global_security(self, spec):
        assert spec["components"]["securitySchemes"] == {
            "BearerAuthentication": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "BasicAuthentication": {"type": "http", "scheme": "basic"},
        }
        assert spec["security"] == [{"BearerAuthentication": []}, {"BasicAuthentication": []}]

    def test_public_operations_opt_out_of_security(self, spec):
        assert spec["paths"]["/auth/token"]["post"]["security"] == []
        assert spec["paths"]["/about/"]["get"]["security"] == []

    def test_protected_operations_document_401(self, spec):
        lacking = [
            f"{method.upper()} {path}"
            for path, item in spec["paths"].items()
            for method, operation in item.items()
            if operation.get("security") != [] and "401" not in operation["responses"]
        ]
        assert not lacking

    def test_operation_ids_are_unique(self, spec):
        ids = [operation["operationId"] for item in spec["paths"].values() for operation in item.values()]
        assert len(ids) == len(set(ids))

    def test_item_paths_use_plain_parameters(self, spec):
        assert not [path for path in spec["paths"] if ":" in path]

    def test_the_error_schema_is_the_envelope(self, spec):
        error = spec["components"]["schemas"]["Error"]
        assert set(error["properties"]) == {"code", "status", "message", "errors"}


@pytest.mark.skipif(not CONTRACT_CHECK.exists(), reason=f"{CONTRACT_CHECK} not found")
@pytest.mark.parametrize("paths", list(CONTRACT_PATHS.values()), ids=list(CONTRACT_PATHS))
def test_contract_operations_are_complete(spec, tmp_path: Path, paths: str):
    spec_file = tmp_path / "api-spec.json"
    spec_file.write_text(json.dumps(spec))
    result = subprocess.run(
        [sys.executable, str(CONTRACT_CHECK), str(spec_file), "--paths", paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout
    done, total = re.match(r"contract: (\d+)/(\d+) operations complete", summary).groups()
    assert done == total and int(total) > 0


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"] or "")


class TestDocumentationPage:
    """The page's files; tests/browser/test_api_explorer.py checks that it works in a browser."""

    async def test_root_serves_the_explorer_page(self, client):
        response = await client.get("/")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "docs-assets/swagger-ui/swagger-ui-bundle.js" in response.text
        assert "docs-assets/explorer.js" in response.text

    async def test_every_script_and_style_is_local_and_served(self, client):
        page = await client.get("/")
        parser = _Assets()
        parser.feed(page.text)
        assert len(parser.urls) >= 3
        for url in parser.urls:
            assert not urlparse(url).netloc and not url.startswith("//"), url
            assert not url.startswith("/"), url  # relative: the API may be mounted under a prefix
            asset = await client.get(urljoin("http://testserver/", url))
            assert asset.status_code == 200, url
            assert asset.content, url

    async def test_no_other_absolute_url_in_the_page(self, client):
        page = (await client.get("/")).text
        assert not re.findall(r"https?://", page)

    async def test_the_explorer_reads_the_spec_beside_the_page_and_keeps_the_authorization(self, client):
        script = (await client.get("/docs-assets/explorer.js")).text
        assert 'new URL("api-spec.json", window.location.href)' in script
        assert "persistAuthorization: true" in script
        assert "validatorUrl: null" in script  # the validator badge would call an outside service

    async def test_the_vendored_swagger_ui_is_the_documented_version_with_its_notices(self, client):
        from bemserver.docs import HERE, SWAGGER_UI_VERSION

        folder = HERE / "assets" / "swagger-ui"
        bundle = (await client.get("/docs-assets/swagger-ui/swagger-ui-bundle.js")).text
        assert f'PACKAGE_VERSION:"{SWAGGER_UI_VERSION}"' in bundle
        assert "sourceMappingURL" not in bundle
        assert "sourceMappingURL" not in (folder / "swagger-ui.css").read_text()
        assert f"Swagger UI {SWAGGER_UI_VERSION}" in (folder / "README.md").read_text()
        assert "Apache License" in (folder / "LICENSE").read_text()
        assert (folder / "NOTICE").read_text().strip()
        assert (folder / "swagger-ui-bundle.js.LICENSE.txt").read_text().strip()

    async def test_under_a_mount_prefix_the_page_finds_its_files_and_try_it_out_the_api(self, database_url):
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from bemserver.app import create_app
        from tests.conftest import make_settings

        api = create_app(make_settings(), database_url)
        outer = Starlette(routes=[Mount("/api/v0", app=api)])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url="http://t") as http:
            page = await http.get("/api/v0/")
            parser = _Assets()
            parser.feed(page.text)
            for url in parser.urls:
                assert (await http.get(urljoin("http://t/api/v0/", url))).status_code == 200, url
            spec = (await http.get("/api/v0/api-spec.json")).json()
            assert spec["servers"] == [{"url": "/api/v0"}]  # what "Try it out" prefixes to the paths
        await api.state.database.dispose()
