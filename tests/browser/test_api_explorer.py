"""The API explorer at / in a real browser: it renders the OpenAPI 3.1 document offline, every
operation under its tag in the spec's order, and "Try it out" works once authorized with a token."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.browser.conftest import LiveServer, PageWatch

pytestmark = pytest.mark.xdist_group("browser")

# The reference's domains that a reader looks for first (tag names as the spec spells them).
MAIN_TAGS = ["Authentication", "User", "Campaign", "Timeseries", "TimeseriesData"]

# The tag headers and operations rendered now, as [key, "tag" | "op", text], in page order. Swagger UI
# virtualizes long lists (150 rows or more): only the rows near the viewport exist, each keyed by its
# row number (data-index); a short list is all there, keyed by its order.
RENDERED_ROWS = """() => [...document.querySelectorAll("h3.opblock-tag, .opblock")].map((element, order) => {
  const row = element.closest(".operations-virtual__item");
  const key = row ? Number(row.dataset.index) : order;
  if (element.matches("h3.opblock-tag")) return [key, "tag", element.dataset.tag];
  const method = element.querySelector(".opblock-summary-method").textContent.trim();
  return [key, "op", method + " " + element.querySelector(".opblock-summary-path").dataset.path];
})"""
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
SCROLL_DOWN = """() => {
  const before = window.scrollY;
  window.scrollBy(0, window.innerHeight / 2);
  return window.scrollY > before;
}"""


def shown_operations(page: Page) -> dict[str, list[str]]:
    """{tag: ["GET /path", ...]} as the page shows them, scrolling through the whole list."""
    rows: dict[int, tuple[str, str]] = {}
    page.evaluate("() => window.scrollTo(0, 0)")
    while True:
        page.evaluate(NEXT_FRAME)
        rows.update({key: (kind, text) for key, kind, text in page.evaluate(RENDERED_ROWS)})
        if not page.evaluate(SCROLL_DOWN):
            break
    page.evaluate("() => window.scrollTo(0, 0)")
    shown: dict[str, list[str]] = {}
    tag = ""
    for _, (kind, text) in sorted(rows.items()):
        if kind == "tag":
            tag = text
            shown[tag] = []
        else:
            shown[tag].append(text)
    return shown


@pytest.fixture(scope="module")
def spec(live_server: LiveServer) -> dict:
    return httpx.get(f"{live_server.url}/api-spec.json", timeout=10).json()


def expected_operations(spec: dict) -> dict[str, list[str]]:
    """{tag: ["GET /path", ...]} in the order of first appearance, as Swagger UI groups them."""
    grouped: dict[str, list[str]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for tag in operation.get("tags", ["default"]):
                grouped.setdefault(tag, []).append(f"{method.upper()} {path}")
    return grouped


def open_explorer(page: Page, operation: str = "") -> Locator:
    """Opens the page, and the operation of id `operation` ("Tag-operationId") when given."""
    page.goto("./")
    expect(page.locator(".opblock").first).to_be_visible()
    if not operation:
        return page.locator(".swagger-ui")
    block = page.locator(f"#operations-{operation}")
    block.locator(".opblock-summary-control").click()
    expect(block.locator(".opblock-body")).to_be_visible()
    return block


def test_the_page_renders_every_operation_under_its_tag_in_the_spec_order(page: Page, spec):
    open_explorer(page)
    explorer = shown_operations(page)
    expect(page.locator(".info .title")).to_contain_text("BEMServer API")
    expect(page.locator(".info .title")).to_contain_text("OAS 3.1")
    expected = expected_operations(spec)
    assert list(explorer) == list(expected)  # the tags, in the spec's order
    for tag in MAIN_TAGS:
        assert explorer[tag], tag
    assert explorer == expected  # every operation, under its tag
    assert sum(map(len, explorer.values())) == sum(len(item) for item in spec["paths"].values())
    assert page.get_by_text("Unable to render this definition").count() == 0


def test_an_operation_shows_its_request_and_response_schemas(page: Page):
    operation = open_explorer(page, "User-create_user")
    body = operation.locator(".opblock-section-request-body")
    expect(body).to_contain_text("application/json")
    body.get_by_role("tab", name="Schema").click()
    expect(body.locator(".model-box")).to_contain_text("password")
    responses = operation.locator(".responses-wrapper")
    expect(responses.locator("tr.response[data-code='201']")).to_be_visible()
    expect(responses.locator("tr.response[data-code='422']")).to_be_visible()


def test_the_authorize_dialog_offers_bearer_and_basic(page: Page):
    open_explorer(page)
    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_contain_text("BearerAuthentication")
    expect(dialog).to_contain_text("BasicAuthentication")
    for field in ("#auth-bearer-value", "#auth-basic-username", "#auth-basic-password"):
        expect(dialog.locator(field)).to_be_visible()


def test_authorized_with_a_token_try_it_out_lists_the_users(page: Page, live_server: LiveServer):
    token = live_server.token()
    operation = open_explorer(page, "User-list_users")
    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    bearer = dialog.locator(".auth-container").filter(has_text="BearerAuthentication")
    bearer.locator("#auth-bearer-value").fill(token)
    bearer.locator("button.authorize").click()
    expect(bearer.locator("button", has_text="Logout")).to_be_visible()
    dialog.locator(".close-modal").click()
    expect(dialog).to_have_count(0)

    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table")
    expect(live.locator("tr.response .response-col_status")).to_have_text("200")
    expect(live.locator("tr.response .response-col_description")).to_contain_text(live_server.admin_email)
    expect(operation.locator(".request-url")).to_contain_text(f"{live_server.url}/users/")


def test_without_authorization_try_it_out_shows_the_401(page: Page, page_watch: PageWatch):
    page_watch.allow(r"the server responded with a status of 401")  # Chromium logs the answer
    operation = open_explorer(page, "User-list_users")
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table")
    expect(live.locator("tr.response .response-col_status")).to_have_text("401")
    expect(live.locator("tr.response .response-col_description")).to_contain_text("missing_authentication")


def test_with_other_hosts_blocked_the_page_looks_the_same(page: Page, live_server: LiveServer):
    open_explorer(page)
    online = shown_operations(page)
    blocked: list[str] = []

    def only_the_server(route: Route) -> None:
        if re.match(rf"^https?://{re.escape(live_server.host)}/", route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", only_the_server)
    open_explorer(page)
    assert shown_operations(page) == online
    assert not blocked
