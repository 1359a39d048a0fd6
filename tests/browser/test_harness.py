"""The browser harness itself: what it counts as a page's misbehaviour is really recorded."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PageWatch

pytestmark = pytest.mark.xdist_group("browser")

OUTSIDE = "http://192.0.2.1/tracker.js"  # an address reserved for documentation: nobody answers


def test_console_errors_and_requests_to_other_hosts_are_recorded(page: Page, page_watch: PageWatch):
    page.route(OUTSIDE, lambda route: route.abort("internetdisconnected"))
    page.goto("about/")  # a page without the docs page's Content-Security-Policy, which blocks it
    with page.expect_request(OUTSIDE):
        page.evaluate(f"() => {{ console.error('boom'); fetch('{OUTSIDE}').catch(() => null); }}")
    page.wait_for_timeout(200)  # the failed fetch's own console message
    assert page_watch.foreign_requests == [f"GET {OUTSIDE}"]
    assert any(error.startswith("boom") for error in page_watch.console_errors)
    assert len(page_watch.problems()) >= 2
    page_watch.console_errors.clear()  # recorded as expected: let the test pass
    page_watch.foreign_requests.clear()


def test_the_docs_page_policy_stops_requests_to_other_hosts(page: Page, page_watch: PageWatch):
    page.route(OUTSIDE, lambda route: route.abort("internetdisconnected"))
    page.goto("./")
    outcome = page.evaluate(f"() => fetch('{OUTSIDE}').then(() => 'sent', () => 'refused')")
    assert outcome == "refused"
    assert page_watch.foreign_requests == []  # refused by the browser before any request
    assert any("Content Security Policy" in error for error in page_watch.console_errors)
    page_watch.console_errors.clear()  # the policy's report, as expected


def test_requests_to_the_server_are_not_counted(page: Page, page_watch: PageWatch):
    page.goto("./")
    page.evaluate("() => fetch('about/').then((answer) => answer.json())")
    assert page_watch.problems() == []
