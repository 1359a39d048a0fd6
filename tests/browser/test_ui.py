"""The web interface at /ui in a real browser, as an admin and as a member of one scope of one
campaign: every page renders without a console error (the pages are served with a strict CSP, so an
inline script or style would be one), sends no request to another host, and shows a member nothing
of another scope or another campaign. Screenshots go to test-artifacts/ui/; the explorer's and the
list's timings go to test-artifacts/ui/figures.json (measured, reported, not asserted)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, PageWatch
from tests.browser.ui_world import MEMBER_EMAIL, MEMBER_PASSWORD, YEAR_SERIES, UiWorld

pytestmark = pytest.mark.xdist_group("browser")

SHOTS = ARTIFACTS / "ui"
FIGURES = SHOTS / "figures.json"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def record(figure: str, value: float) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    known[figure] = value
    FIGURES.write_text(json.dumps(known, indent=2) + "\n")


def sign_in(page: Page, email: str, password: str, target: str = "/ui/") -> None:
    page.goto(target)
    expect(page).to_have_url(re.compile("/ui/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def as_admin(page: Page, live_server: LiveServer, target: str = "/ui/") -> None:
    sign_in(page, live_server.admin_email, live_server.admin_password, target)


def as_member(page: Page, target: str = "/ui/") -> None:
    sign_in(page, MEMBER_EMAIL, MEMBER_PASSWORD, target)


# --- signing in and out ---------------------------------------------------------------------------


def test_pages_need_signing_in_and_sign_out_ends_the_session(
    page: Page, live_server: LiveServer, world: UiWorld
):
    page.goto(f"/ui/campaigns/{world.alpha}/timeseries")
    expect(page).to_have_url(re.compile("/ui/login"))
    page.get_by_label("Email").fill(live_server.admin_email)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(f"/ui/campaigns/{world.alpha}/timeseries") + "$"))
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["bs_ui_access"]["httpOnly"] and cookies["bs_ui_access"]["sameSite"] == "Strict"
    assert page.evaluate("() => document.cookie") == ""  # no token within a script's reach
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/ui/")
    expect(page).to_have_url(re.compile("/ui/login"))


def test_an_expired_access_token_is_refreshed_silently(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server)
    refresh = next(c for c in page.context.cookies() if c["name"] == "bs_ui_refresh")
    page.context.clear_cookies()
    page.context.add_cookies([refresh | {"name": "bs_ui_refresh"}])  # the access token is gone
    page.goto(f"/ui/campaigns/{world.alpha}/building")
    expect(page.get_by_role("heading", name="Building of Alpha")).to_be_visible()
    assert any(c["name"] == "bs_ui_access" for c in page.context.cookies())


def test_sign_in_from_another_site_is_refused(live_server: LiveServer):
    answer = httpx.post(
        f"{live_server.url}/ui/login",
        data={"email": live_server.admin_email, "password": live_server.admin_password},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_the_pages_send_a_strict_content_security_policy(page: Page, live_server: LiveServer, world: UiWorld):
    answer = page.goto("/ui/login")
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


# --- the admin walks every page -------------------------------------------------------------------


def test_admin_walks_every_page(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server)
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    for name in ("Alpha", "Beta", "Big"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    shot(page, "admin-home")

    page.get_by_label("Campaign").select_option(label="Alpha")
    expect(page).to_have_url(re.compile(re.escape(f"/campaigns/{world.alpha}/explorer") + "$"))

    page.get_by_role("link", name="Building").click()
    page.get_by_role("button", name="Building A").click()
    expect(page.locator("#element")).to_contain_text("1200.5")
    page.get_by_role("button", name="Room 1").click()
    expect(page.locator("#element")).to_contain_text("Indoor temperature")
    shot(page, "admin-building")

    page.get_by_role("link", name="Timeseries").click()
    expect(page.locator("#ts-rows")).to_contain_text("Secret S2")
    page.get_by_label("Name contains").fill("temperature")
    expect(page.locator("#ts-total")).to_have_text("2 timeseries")
    page.get_by_label("Location").select_option(label="zone: South facade")
    expect(page.locator("#ts-total")).to_have_text("1 timeseries")
    shot(page, "admin-timeseries")

    page.get_by_role("link", name="Events").click()
    expect(page.locator("#ev-rows")).to_contain_text("Overheating in S2")
    page.get_by_label("Level at least").select_option("CRITICAL")
    expect(page.locator("#ev-rows tbody tr")).to_have_count(1)
    page.get_by_label("Level at least").select_option("WARNING")
    expect(page.locator("#ev-rows tbody tr")).to_have_count(3)
    page.locator("#ev-rows tbody tr", has_text="ERROR").get_by_role("button", name="Show").click()
    expect(page.locator("#ev-rows")).to_contain_text("Timeseries: Indoor temperature")
    expect(page.locator("#ev-rows")).to_contain_text("Zone: South facade")
    shot(page, "admin-events")

    page.get_by_role("link", name="Import").click()
    expect(page.locator("#drop")).to_be_visible()
    shot(page, "admin-import")

    page.get_by_role("link", name="Admin").click()
    for section in (
        "Users",
        "User groups",
        "Group memberships",
        "Campaigns",
        "Campaign scopes",
        "Groups of campaigns",
        "Groups of campaign scopes",
    ):
        page.get_by_role("navigation", name="Administration sections").get_by_role(
            "link", name=section, exact=True
        ).click()
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    page.get_by_role("link", name="User groups", exact=True).click()
    page.locator("form[data-api-post]").get_by_label("name").fill("Made in the browser")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("table")).to_contain_text("Made in the browser")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Made in the browser").click()
    expect(page.locator("table")).not_to_contain_text("Made in the browser")
    shot(page, "admin-admin")


def test_the_explorer_draws_five_series_of_a_year(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/explorer")
    for name in YEAR_SERIES:
        page.get_by_label("Add timeseries").fill(name)
        page.locator("#series-found").get_by_role("button", name=name).click()
    expect(page.locator("#series-picked li")).to_have_count(5)
    page.get_by_label("Period").select_option("custom")
    page.get_by_label("From (Europe/Paris)").fill("2023-01-01T01:00")
    page.get_by_label("To", exact=True).fill("2024-01-01T01:00")
    sizes: list[int] = []
    page.on(
        "requestfinished",
        lambda request: (
            sizes.append(request.sizes()["responseBodySize"]) if "/timeseries_data/" in request.url else None
        ),
    )
    clicked = time.perf_counter()
    page.get_by_role("button", name="Draw").click()
    expect(page.locator("#explorer[data-drawn]:not([data-drawn=''])")).to_have_count(1)
    elapsed = time.perf_counter() - clicked
    assert page.locator("#explorer").get_attribute("data-drawn") != "error"
    points = int(page.locator("#explorer").get_attribute("data-points") or 0)
    assert 0 < points <= 5 * 2 * 1200  # a min and a max per pixel column, per series
    page.wait_for_timeout(300)
    record(
        "explorer_click_to_drawn_ms_in_page", int(page.locator("#explorer").get_attribute("data-drawn") or -1)
    )
    record("explorer_click_to_drawn_ms_harness", round(elapsed * 1000))
    record("explorer_bytes_transferred", sum(sizes))
    record("explorer_points_drawn", points)
    assert sum(sizes) <= 300 * 1024
    expect(page.locator(".uplot")).to_be_visible()
    expect(page.locator(".u-legend")).to_contain_text("Gas power [kW]")
    shot(page, "explorer")
    page.screenshot(path=str(SHOTS / "explorer-viewport.png"))  # the README's picture (docs/ui-explorer.png)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "Datetime," + ",".join(f'"{name}"' for name in YEAR_SERIES)
    assert len(lines) > 1000

    page.get_by_role("button", name="Pan right").click()  # a new range, asked from the server
    expect(page.locator("#status")).to_contain_text("2023-07")

    page.get_by_label("Values").select_option("aggregate")
    page.get_by_label("Bucket", exact=True).fill("1")
    page.get_by_label("Unit", exact=True).select_option("month")
    page.get_by_label("Aggregation").select_option("max")
    page.get_by_role("button", name="Draw").click()
    expect(page.locator("#status")).to_contain_text("60 points drawn")  # 12 months x 5 series


def test_the_completeness_heatmap(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/completeness")
    page.get_by_label("Timeseries whose name contains").fill("temperature")
    page.get_by_label("From").fill("2023-01-01")
    page.get_by_label("To (excluded)").fill("2024-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#cp-status")).to_have_text("2 timeseries \u00d7 365 days")
    rows = page.locator("#cp-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("144")  # ten-minute data: 144 points a day
    shot(page, "completeness")


def test_the_energy_breakdown(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/energy")
    page.get_by_label("Site or building").select_option(label="building: Building A")
    page.get_by_label("From").fill("2023-01-01")
    page.get_by_label("To (excluded)").fill("2024-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#en-status")).to_have_text(
        "2 timeseries, 2 groups, 12 bars (kWh), heating degree days (base 18 °C)"
    )
    expect(page.locator("#en-table thead")).to_contain_text("Heating degree days")
    expect(page.locator("#en-table tbody tr").first).to_contain_text("3100.00")  # 31 days of 100 kWh
    page.get_by_label("Per").select_option(label="Area (m²)")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#en-status")).to_contain_text("kWh per Area")
    expect(page.locator("#en-table tbody tr").first).to_contain_text("2.58")  # 3100 / 1200.5
    shot(page, "energy")


def test_the_tasks_page(page: Page, live_server: LiveServer, world: UiWorld):
    admin = world.ids["admin"]
    name = admin.get("/tasks/")[0]["name"]
    admin.post("/tasks_by_campaigns/", {"task_name": name, "campaign_id": world.alpha})
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/tasks")
    expect(page.get_by_role("heading", name="Scheduled tasks")).to_be_visible()
    expect(page.locator("main")).to_contain_text(name)
    page.get_by_label("Status").select_option("failed")
    expect(page.locator("#runs")).to_contain_text("0 runs")
    shot(page, "tasks")


def test_a_ten_thousand_timeseries_list_filters_fast(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server, f"/ui/campaigns/{world.big}/timeseries")
    expect(page.locator("#ts-total")).to_contain_text("10000 timeseries")
    timings = []
    for text, expected in (
        ("Meter 0999", "10 timeseries"),
        ("Meter 09999", "1 timeseries"),
        ("Meter 01", "1000 timeseries"),
    ):
        typed = time.perf_counter()
        page.get_by_label("Name contains").fill(text)
        expect(page.locator("#ts-total")).to_contain_text(expected)
        timings.append(round((time.perf_counter() - typed) * 1000))
    record("timeseries_list_filter_to_shown_ms (incl. 50 ms typing debounce)", max(timings))
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#ts-total")).to_contain_text("page 2 of 20")
    shot(page, "timeseries-10000")


def test_first_cold_load(browser: Browser, live_server: LiveServer, world: UiWorld):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_in(page, live_server.admin_email, live_server.admin_password)
    cookies = context.cookies()
    context.close()
    cold = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    cold.add_cookies(cookies)
    page = cold.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    worst = 0
    for path in ("/ui/", f"/ui/campaigns/{world.alpha}/explorer", f"/ui/campaigns/{world.big}/timeseries"):
        page.goto(path)
        page.wait_for_load_state("load")
        worst = max(
            worst,
            page.evaluate("() => Math.round(performance.getEntriesByType('navigation')[0].loadEventEnd)"),
        )
    cold.close()
    assert errors == []
    record("first_cold_page_load_ms", worst)


def test_import_a_data_file_and_a_description_file(
    page: Page, page_watch: PageWatch, live_server: LiveServer, world: UiWorld, tmp_path: Path
):
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/import")
    described = tmp_path / "timeseries.csv"
    described.write_text(
        "Campaign scope;Name;Description;Unit;Site;Building;Storey;Space;Zone\nS1;Imported;From the browser;kW;;;;;\n"
    )
    page.get_by_label("What the file holds").select_option("auto")
    # semicolons: the descriptions' importer reads the dialect itself
    page.locator("#import-file").set_input_files(str(described))
    expect(page.locator("#import-report")).to_contain_text("Imported timeseries.csv")
    data = tmp_path / "data.csv"
    data.write_text("Datetime,Imported\n2023-01-01T00:00:00+00:00,1.5\n2023-01-01T01:00:00+00:00,2.5\n")
    page.locator("#import-file").set_input_files(str(data))
    expect(page.locator("#import-report")).to_contain_text("Imported data.csv: 2 lines accepted (data)")
    page_watch.allow("status of 422")  # the browser logs the refused upload below
    bad = tmp_path / "bad.csv"
    bad.write_text("Datetime,Imported\nnot a date,1\n")
    page.locator("#import-file").set_input_files(str(bad))
    expect(page.locator("#import-report")).to_contain_text("Refused (422)")
    shot(page, "import")


def test_the_bell_rings_live(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/explorer")
    admin = world.ids["admin"]
    users = admin.get("/users/", email=live_server.admin_email)
    event = admin.get("/events/", campaign_id=world.alpha)[0]
    page.wait_for_timeout(500)  # the stream is open
    admin.post(
        "/notifications/",
        {"user_id": users[0]["id"], "event_id": event["id"], "timestamp": "2023-03-01T10:00:00+00:00"},
    )
    expect(page.locator("#bell-count")).to_have_text("1")
    page.locator("#bell").click()
    expect(page.locator("#bell-panel")).to_contain_text("Overheating")
    shot(page, "bell")


# --- the member sees their scope of their campaign only -------------------------------------------


def test_a_member_sees_only_their_scope_and_campaign(page: Page, page_watch: PageWatch, world: UiWorld):
    as_member(page)
    expect(page.get_by_role("link", name="Alpha", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Beta", exact=True)).to_have_count(0)
    expect(page.locator("#campaign-picker option")).to_have_count(2)  # "Choose…" and Alpha
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    shot(page, "member-home")

    page.goto(f"/ui/campaigns/{world.alpha}/timeseries")
    in_scope = world.ids["admin"].get("/timeseries/", campaign_id=world.alpha, campaign_scope_id=world.scope1)
    expect(page.locator("#ts-total")).to_have_text(f"{len(in_scope)} timeseries")
    expect(page.locator("#ts-rows")).not_to_contain_text("Secret S2")
    shot(page, "member-timeseries")

    page.goto(f"/ui/campaigns/{world.alpha}/building")
    page.get_by_role("button", name="Building A").click()
    expect(page.locator("#element")).to_contain_text("Area")
    shot(page, "member-building")

    page.goto(f"/ui/campaigns/{world.alpha}/events")
    expect(page.locator("#ev-rows tbody tr")).to_have_count(2)
    expect(page.locator("#ev-rows")).not_to_contain_text("Overheating in S2")
    shot(page, "member-events")

    page.goto(f"/ui/campaigns/{world.alpha}/explorer?ts={world.year_ts[2]}")
    expect(page.locator("#explorer[data-drawn]:not([data-drawn=''])")).to_have_count(1)
    page.get_by_label("Add timeseries").fill("S2")
    expect(page.locator("#series-found li")).to_have_count(0)
    shot(page, "member-explorer")

    page.goto(f"/ui/campaigns/{world.alpha}/import")
    expect(page.locator("#drop")).to_be_visible()

    page.goto(f"/ui/campaigns/{world.alpha}/energy")
    page.get_by_label("Site or building").select_option(label="building: Building A")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#en-status")).to_contain_text("2 timeseries")  # linked to Building A, in S1

    page.goto(f"/ui/campaigns/{world.alpha}/tasks")
    expect(page.get_by_role("heading", name="Task runs")).to_be_visible()
    shot(page, "member-tasks")

    page.goto(f"/ui/campaigns/{world.alpha}/completeness")
    page.get_by_label("Timeseries whose name contains").fill("S2")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#cp-status")).to_have_text("No timeseries.")

    page_watch.allow("403|404|Forbidden|Not Found")  # the refusals below are logged by the browser
    for path in (
        f"/ui/campaigns/{world.beta}/timeseries",
        f"/ui/campaigns/{world.beta}/building",
        f"/ui/campaigns/{world.beta}/explorer",
        f"/ui/campaigns/{world.beta}/events",
        f"/ui/campaigns/{world.beta}/import",
        f"/ui/campaigns/{world.beta}/completeness",
        f"/ui/campaigns/{world.beta}/energy",
        f"/ui/campaigns/{world.beta}/tasks",
    ):
        answer = page.goto(path)
        assert answer is not None and answer.status in (403, 404), path
        expect(page.locator("body")).not_to_contain_text("Beta only")
    answer = page.goto("/ui/admin/users")
    assert answer is not None and answer.status == 403
    for api_path in (f"/ui/api/timeseries/{world.secret_ts}", f"/ui/api/timeseries/{world.beta_ts}"):
        assert page.request.get(api_path).status in (403, 404)
    data = page.request.get(
        "/ui/api/timeseries_data/",
        params={
            "timeseries": world.secret_ts,
            "start_time": "2023-01-01T00:00:00Z",
            "end_time": "2024-01-01T00:00:00Z",
            "data_state": 1,
            "max_points": 100,
        },
    )
    assert data.status == 403
    assert page.request.post("/ui/api/user_groups/", data={"name": "x"}).status == 403  # no UI header


@pytest.fixture(scope="module", autouse=True)
def _clean_figures() -> Iterator[None]:
    yield


@pytest.mark.parametrize("width", [390, 1920])
def test_pages_fit_a_phone_and_a_wide_screen(page: Page, live_server: LiveServer, world: UiWorld, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    as_admin(page, live_server)
    for path in ("explorer", "building", "timeseries", "completeness", "energy", "events", "import"):
        page.goto(f"/ui/campaigns/{world.alpha}/{path}")
        expect(page.locator("main h1")).to_have_count(1)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px too wide at {width} px"
    shot(page, f"import-{width}px")


def test_keyboard_alone_reaches_the_building_tree(page: Page, live_server: LiveServer, world: UiWorld):
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/building")
    page.get_by_role("button", name="Building A").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#element")).to_contain_text("1200.5")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Ground floor")).to_be_focused()
