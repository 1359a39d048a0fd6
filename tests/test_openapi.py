"""The served OpenAPI document, its agreement with the reference contract, and the offline docs page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_CHECK = ROOT.parent / "shared" / "tools" / "contract_check.py"

# Contract paths whose every operation must be complete. Domains add their own regular expression.
CONTRACT_PATHS = {
    "foundation": r"^/(auth|about|users|user_groups/|user_groups/\{|users_by_user_groups)",
    "events": r"^/(event|timeseries_by_events|notifications)",
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
    async def test_root_serves_the_swagger_ui_page(self, client):
        response = await client.get("/")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "SwaggerUIBundle" in response.text
        assert "'api-spec.json'" in response.text

    async def test_every_script_and_style_is_local_and_served(self, client):
        page = await client.get("/")
        parser = _Assets()
        parser.feed(page.text)
        assert len(parser.urls) >= 2
        for url in parser.urls:
            assert not urlparse(url).netloc and not url.startswith("//"), url
            asset = await client.get(urljoin("http://testserver/", url))
            assert asset.status_code == 200, url
            assert asset.content, url

    async def test_no_other_absolute_url_in_the_page(self, client):
        page = (await client.get("/")).text
        assert not re.findall(r"https?://", page)

    async def test_the_page_needs_no_authentication_and_authorize_uses_the_spec_schemes(self, client, spec):
        page = await client.get("/")
        assert page.status_code == 200
        # Swagger UI builds its Authorize dialog from these schemes, and keeps what was entered.
        assert "BearerAuthentication" in spec["components"]["securitySchemes"]
        assert '"persistAuthorization": true' in page.text
