"""The web interface's writes in a real browser: scheduled tasks (add, edit, delete, run now) and the
administration's edit forms (PUT with the If-Match of the item as the form read it), as the admin
and as the member of one scope, who sees none of these controls and whom the API refuses anyway;
and the energy page, where only the newest request draws. Every test makes the items it changes, so
the shared data set (`world`) stays as the other tests expect it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.test_ui import as_admin, as_member, shot
from tests.browser.ui_world import UiWorld

pytestmark = pytest.mark.xdist_group("browser")

UI = {"X-BEMServer-UI": "1"}


def edit_form(page: Page, row_text: str) -> Locator:
    """Opens the edit form of the table row holding row_text; returns it once it has read the item."""
    row = page.locator("tbody tr", has_text=row_text)
    row.locator("summary").click()
    form = row.locator("form[data-api-put]")
    expect(form).to_have_attribute("data-loaded", "1")
    return form


def wait_until(page: Page, condition: Callable[[], bool]) -> None:
    for _ in range(300):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out")


# --- the energy page: only the newest request draws ----------------------------------------------


def test_an_older_energy_answer_does_not_overwrite_a_newer_one(
    page: Page, live_server: LiveServer, world: UiWorld
):
    held: list[Route] = []  # the page's first load (the site, which has no energy link), held back
    page.route("**/ui/api/energy_consumption_timeseries_by_sites/**", lambda route: held.append(route))
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/energy")
    wait_until(page, lambda: bool(held))
    page.get_by_label("Site or building").select_option(label="building: Building A")
    page.get_by_label("From").fill("2023-01-01")
    page.get_by_label("To (excluded)").fill("2024-01-01")
    page.get_by_role("button", name="Show").click()
    drawn = "2 timeseries, 2 groups, 12 bars (kWh), heating degree days (base 18 °C)"
    expect(page.locator("#en-status")).to_have_text(drawn)
    with page.expect_request_finished(lambda request: "by_sites" in request.url):
        held[0].continue_()  # the first load answers now, after the newer one
    page.wait_for_timeout(500)
    expect(page.locator("#en-status")).to_have_text(drawn)
    expect(page.locator("#en-table tbody tr")).to_have_count(12)


def test_an_older_search_answer_does_not_overwrite_a_newer_one(
    page: Page, live_server: LiveServer, world: UiWorld
):
    held: list[Route] = []  # the explorer's search for "temperature", held back until "Gas" answered
    page.route(
        lambda url: "/ui/api/timeseries/" in url and "in_name=temperature" in url,
        lambda route: held.append(route),
    )
    as_admin(page, live_server, f"/ui/campaigns/{world.alpha}/explorer")
    page.get_by_label("Add timeseries").fill("temperature")
    wait_until(page, lambda: bool(held))
    page.get_by_label("Add timeseries").fill("Gas")
    found = page.locator("#series-found li")
    expect(found.first).to_contain_text("Gas power")
    newer = found.all_inner_texts()
    with page.expect_request_finished(lambda request: "in_name=temperature" in request.url):
        held[0].continue_()  # the older search answers now
    page.wait_for_timeout(500)
    assert found.all_inner_texts() == newer


# --- scheduled tasks ------------------------------------------------------------------------------


def test_admin_schedules_edits_deletes_and_runs_a_task(
    page: Page, page_watch: PageWatch, live_server: LiveServer, world: UiWorld
):
    admin = world.ids["admin"]
    campaign = admin.post("/campaigns/", {"name": "Tasks campaign", "timezone": "Europe/Paris"})
    as_admin(page, live_server, f"/ui/campaigns/{campaign['id']}/tasks")
    expect(page.locator("main")).to_contain_text("No scheduled task.")

    page.locator("#new-task").select_option("CheckMissingData")
    page.locator("#new-parameters").fill('{"min_completeness_ratio": 0.5}')
    page.get_by_role("button", name="Add", exact=True).click()
    row = page.locator("tbody tr", has_text="CheckMissingData")
    expect(row).to_contain_text("-1 to 0 day")
    expect(row).to_contain_text('{"min_completeness_ratio": 0.5}')

    form = edit_form(page, "CheckMissingData")
    expect(form.get_by_label("Parameters (JSON)")).to_have_value('{"min_completeness_ratio":0.5}')
    form.get_by_label("enabled").uncheck()
    form.get_by_label("Parameters (JSON)").fill('{"min_completeness_ratio": 0.75}')
    form.get_by_label("Offset unit").select_option("week")
    form.get_by_label("Start offset").fill("-2")
    form.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("-2 to 0 week")
    expect(row).to_contain_text('{"min_completeness_ratio": 0.75}')
    expect(row.locator("td").nth(1)).to_have_text("no")
    (stored,) = admin.get("/tasks_by_campaigns/", campaign_id=campaign["id"])
    assert stored["is_enabled"] is False and stored["offset_unit"] == "week"

    form = edit_form(page, "CheckMissingData")  # bad parameters: the API's refusal is shown
    page_watch.allow("status of 422")  # the browser logs the refusal
    form.get_by_label("Parameters (JSON)").fill('{"min_completeness_ratio": "lots"}')
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-result")).to_contain_text("Refused (422)")
    shot(page, "tasks-edit")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete CheckMissingData").click()
    expect(page.locator("main")).to_contain_text("No scheduled task.")

    page.locator("#run-task-name").select_option("Cleanup")  # run now
    page.get_by_label("From (Europe/Paris)").fill("2020-01-01")
    page.get_by_label("To (excluded)").fill("2020-01-02")
    page.get_by_role("button", name="Run", exact=True).click()
    runs = page.locator("#runs")
    expect(runs.locator("p.muted")).to_have_text("1 run")
    expect(runs).to_contain_text("Cleanup")
    expect(runs).to_contain_text("2019-12-31 23:00 → 2020-01-01 23:00")  # Paris midnights, in UTC
    shot(page, "tasks-run")


def test_a_member_sees_no_schedule_controls_and_the_api_refuses_them(
    page: Page, page_watch: PageWatch, live_server: LiveServer, world: UiWorld
):
    admin = world.ids["admin"]
    schedule = admin.post("/tasks_by_campaigns/", {"task_name": "CheckOutliers", "campaign_id": world.alpha})
    try:
        as_member(page, f"/ui/campaigns/{world.alpha}/tasks")
        expect(page.get_by_role("heading", name="Task runs")).to_be_visible()
        expect(page.get_by_role("heading", name="Schedule a task")).to_have_count(0)
        expect(page.locator("main summary")).to_have_count(0)
        expect(page.get_by_role("button", name="Delete CheckOutliers")).to_have_count(0)
        shot(page, "member-tasks-controls")
        page_watch.allow("403|Forbidden")
        path = f"/ui/api/tasks_by_campaigns/{schedule['id']}"
        etag = page.request.get(path).headers.get("etag", "")
        body = {"is_enabled": False, "parameters": {}}
        assert page.request.put(path, data=body, headers=UI | {"If-Match": etag}).status == 403
        assert page.request.delete(path, headers=UI | {"If-Match": etag}).status == 403
        made = page.request.post(
            "/ui/api/tasks_by_campaigns/",
            data={"task_name": "Cleanup", "campaign_id": world.alpha},
            headers=UI,
        )
        assert made.status == 403
    finally:
        admin.client.delete(
            f"/tasks_by_campaigns/{schedule['id']}",
            headers={"If-Match": admin.client.get(f"/tasks_by_campaigns/{schedule['id']}").headers["etag"]},
        )


# --- administration: edit forms -------------------------------------------------------------------


def test_admin_edits_a_group_a_campaign_and_a_scope(page: Page, live_server: LiveServer, world: UiWorld):
    admin = world.ids["admin"]
    admin.post("/user_groups/", {"name": "Group to edit"})
    campaign = admin.post("/campaigns/", {"name": "Campaign to edit", "timezone": "UTC"})
    admin.post("/campaign_scopes/", {"name": "Scope to edit", "campaign_id": campaign["id"]})

    as_admin(page, live_server, "/ui/admin/groups")
    form = edit_form(page, "Group to edit")
    expect(form.get_by_label("name")).to_have_value("Group to edit")
    form.get_by_label("name").fill("Group edited")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("table")).to_contain_text("Group edited")
    expect(page.locator("table")).not_to_contain_text("Group to edit")

    page.goto("/ui/admin/campaigns")
    form = edit_form(page, "Campaign to edit")
    form.get_by_label("description").fill("Edited in the browser")
    form.get_by_label("timezone").fill("Europe/Berlin")
    form.get_by_label("start_time").fill("2024-01-01T00:00:00+01:00")
    form.get_by_role("button", name="Save").click()
    row = page.locator("tbody tr", has_text="Campaign to edit")
    expect(row).to_contain_text("Edited in the browser")
    expect(row).to_contain_text("Europe/Berlin")
    stored = admin.get(f"/campaigns/{campaign['id']}")
    assert stored["start_time"].startswith("2023-12-31T23:00:00") and stored.get("end_time") is None

    page.goto("/ui/admin/scopes")
    form = edit_form(page, "Scope to edit")
    form.get_by_label("name").fill("Scope edited")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("table")).to_contain_text("Scope edited")
    shot(page, "admin-edit-scopes")


def test_admin_edits_a_user_and_their_flags(page: Page, live_server: LiveServer, world: UiWorld):
    admin = world.ids["admin"]
    user = admin.post(
        "/users/", {"name": "User to edit", "email": "edit@browser.test", "password": "first-one"}
    )
    as_admin(page, live_server, "/ui/admin/users")

    form = edit_form(page, "edit@browser.test")
    expect(form.get_by_label("is_active")).to_be_checked()
    form.get_by_label("name", exact=True).fill("Renamed without password")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-result")).to_have_text("Give a password to change these fields.")

    form.get_by_label("name", exact=True).fill("User edited")
    form.get_by_label("new password").fill("second-one")
    form.get_by_label("is_admin").check()
    form.get_by_role("button", name="Save").click()
    expect(page.locator("tbody tr", has_text="edit@browser.test")).to_contain_text("User edited")
    stored = admin.get(f"/users/{user['id']}")
    assert stored["name"] == "User edited" and stored["is_admin"] and stored["is_active"]

    form = edit_form(page, "edit@browser.test")  # the flags alone need no password
    form.get_by_label("is_admin").uncheck()
    form.get_by_label("is_active").uncheck()
    form.get_by_role("button", name="Save").click()
    expect(page.locator("tbody tr", has_text="edit@browser.test")).to_contain_text("False")
    stored = admin.get(f"/users/{user['id']}")
    assert not stored["is_admin"] and not stored["is_active"]
    shot(page, "admin-edit-users")


def test_an_edit_made_meanwhile_by_someone_else_is_not_overwritten(
    page: Page, page_watch: PageWatch, live_server: LiveServer, world: UiWorld
):
    admin = world.ids["admin"]
    group = admin.post("/user_groups/", {"name": "Group edited twice"})
    as_admin(page, live_server, "/ui/admin/groups")
    form = edit_form(page, "Group edited twice")
    etag = admin.client.get(f"/user_groups/{group['id']}").headers["etag"]
    changed = admin.client.put(
        f"/user_groups/{group['id']}", json={"name": "Changed elsewhere"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    page_watch.allow("412")
    form.get_by_label("name").fill("Changed in the browser")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".form-result")).to_contain_text("Refused (412)")
    assert admin.get(f"/user_groups/{group['id']}")["name"] == "Changed elsewhere"


def test_a_member_has_no_administration_and_the_api_refuses_their_edits(
    page: Page, page_watch: PageWatch, world: UiWorld
):
    admin = world.ids["admin"]
    group = admin.post("/user_groups/", {"name": "Not the member's"})
    as_member(page)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    page_watch.allow("403|Forbidden")
    answer = page.goto("/ui/admin/groups")
    assert answer is not None and answer.status == 403
    expect(page.locator("form[data-api-put]")).to_have_count(0)
    checks = (
        (f"/ui/api/user_groups/{group['id']}", {"name": "x"}),
        (f"/ui/api/campaigns/{world.alpha}", {"name": "x", "timezone": "UTC"}),
        (f"/ui/api/campaign_scopes/{world.scope1}", {"name": "x"}),
        (f"/ui/api/users/{world.ids['member']}/set_admin", {"value": True}),
    )
    for path, body in checks:
        read = page.request.get(path.removesuffix("/set_admin"))
        etag = read.headers.get("etag", '"none"')
        assert page.request.put(path, data=body, headers=UI | {"If-Match": etag}).status in (403, 404), path
    assert admin.get(f"/campaigns/{world.alpha}")["name"] == "Alpha"
    assert not admin.get(f"/users/{world.ids['member']}")["is_admin"]
