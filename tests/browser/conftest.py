"""Browser test harness: the server as a real process, pages in headless Chromium driven by Playwright.

- `live_server`: `bemserver serve` in a subprocess on a free port, on a fresh database of its own,
  with a known administrator (LiveServer.admin_email / admin_password) and Bearer and Basic auth.
- `page`: a Playwright page (sync API) in a fresh browser context. The test fails when the page logs
  a console error, throws an uncaught error, or sends any request to a host other than the server.
  When a test fails, a full-page screenshot is saved in test-artifacts/ at the project's root.

Chromium is Debian's (`chromium`), or the one named by BEMSERVER_CHROMIUM. When none is found, the
session installs it: with apt-get when running as root, else with `playwright install chromium`.
Browser test modules set `pytestmark = pytest.mark.xdist_group("browser")`: they then run on one
xdist worker and share one server and the pages' data set (`world`); each module starts its own
browser, and holds sync tests only
(Playwright's sync API keeps an asyncio loop running in the thread while it is started).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, expect, sync_playwright

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
BEMSERVER = str(Path(sys.executable).parent / "bemserver")

# This machine may have no internet: without the background-networking switches Chromium keeps
# trying to reach its update, sync and component services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Waits of actions and of expect(): generous, as the 2-core machine may be busy with the rest of the suite
# (the explorer parses a 160-operation spec before it shows anything).
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)
CHROMIUM_NAMES = ("chromium", "chromium-browser")
INSTALL_HINT = (
    "Chromium is needed for the browser tests: install it (Debian/Ubuntu: `apt-get install chromium`), "
    "or run `.venv/bin/python -m playwright install chromium`, "
    "or name an executable in BEMSERVER_CHROMIUM."
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


# --- Chromium -----------------------------------------------------------------------------------


def _chromium_on_machine() -> str | None:
    named = os.environ.get("BEMSERVER_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    return None


def _run(command: list[str], failures: list[str]) -> bool:
    """Runs an install step; on failure, notes the command and the end of its output."""
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        failures.append(f"`{' '.join(command)}`: {error}")
        return False
    if done.returncode:
        output = (done.stderr or done.stdout).strip().splitlines()[-3:]
        failures.append(f"`{' '.join(command)}` exited {done.returncode}: " + " / ".join(output))
    return done.returncode == 0


def _install_chromium(failures: list[str]) -> str | None:
    """Debian's chromium when root with apt-get; Playwright's own download otherwise.

    Returns the executable to use, "" for Playwright's own build, or None when both failed."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        wait = ["-o", "DPkg::Lock::Timeout=600"]
        _run(["apt-get", *wait, "update", "-q"], failures)
        # Chromium's recommended packages (udev, upower, printing...) are not needed headless; fonts are.
        packages = ["chromium", "fonts-liberation"]
        install = ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *packages]
        if _run(install, failures) and (found := _chromium_on_machine()):
            return found
    if _run([sys.executable, "-m", "playwright", "install", "chromium"], failures):
        return ""
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str | None:
    """The Chromium to drive: a path, or None for the build Playwright downloaded itself."""
    if found := _chromium_on_machine():
        return found
    # One installer at a time, across xdist workers and concurrent test runs.
    lock_path = Path(tempfile.gettempdir()) / "bemserver-chromium-install.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        failures: list[str] = []
        try:
            found = _chromium_on_machine() or _install_chromium(failures)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if found is None:
        pytest.fail(f"{INSTALL_HINT}\nTried:\n" + "\n".join(failures), pytrace=False)
    return found or None


# Module scope, not session: while Playwright's sync API is started, the thread has a running
# asyncio loop, so the suite's async tests (run on the same xdist worker afterwards) could not run.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium_executable: str | None) -> Iterator[Browser]:
    try:
        launched = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True
        )
    except Exception as error:  # Playwright raises its own Error with the reason
        pytest.fail(f"Chromium did not start: {error}\n{INSTALL_HINT}", pytrace=False)
    yield launched
    launched.close()


# --- The server -----------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    admin_email: str
    admin_password: str
    process: subprocess.Popen[str] = field(repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def token(self) -> str:
        """A fresh access token of the administrator, from POST /auth/token."""
        answer = httpx.post(
            f"{self.url}/auth/token",
            json={"email": self.admin_email, "password": self.admin_password},
            timeout=10,
        )
        assert answer.json()["status"] == "success", answer.text
        return answer.json()["access_token"]


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`bemserver serve` on a free port and a fresh database of its own (beside the worker's)."""
    name = f"{urlsplit(database_url).path.strip('/')}_browser"
    admin_url = _with_database(database_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    folder = tmp_path_factory.mktemp("live-server")
    port = free_port()
    email, password = "admin@browser.test", "browser-tests-password"
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")} | {
        "BEMSERVER_DATABASE_URL": _with_database(database_url, name),
        "BEMSERVER_DATA_DIR": str(folder / "data"),
        "BEMSERVER_ADMIN_EMAIL": email,
        "BEMSERVER_ADMIN_PASSWORD": password,
        "BEMSERVER_AUTH_METHODS": "Bearer,Basic",
        "BEMSERVER_LOG_LEVEL": "warning",
    }
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [BEMSERVER, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", email, password, process)
    try:
        _wait_ready(server, folder / "server.log")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_ready(server: LiveServer, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.url}/about/", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"the server did not answer in {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def world(live_server: LiveServer) -> Any:
    """The web interface's data set (tests/browser/ui_world.py), built once per session and shared by
    the modules that walk the pages. Tests leave it as they found it: what they change, they make
    themselves (their own campaign, group, user...)."""
    from tests.browser.ui_world import make_world

    return make_world(live_server)


# --- Pages ----------------------------------------------------------------------------------------


@dataclass
class PageWatch:
    """What a page did that fails a test: console errors, uncaught errors, requests to other hosts."""

    server_host: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, console_error: str) -> None:
        """Let console errors matching this regular expression pass (e.g. an expected 401)."""
        self.allowed.append(re.compile(console_error))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(pattern.search(message.text) for pattern in self.allowed):
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Exception) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.server_host:
            self.foreign_requests.append(f"{request.method} {request.url}")

    def problems(self) -> list[str]:
        return [f"console error: {text}" for text in self.console_errors] + [
            f"request to another host: {text}" for text in self.foreign_requests
        ]


@pytest.fixture
def page_watch(live_server: LiveServer) -> PageWatch:
    return PageWatch(live_server.host)


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, page_watch: PageWatch, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page in a fresh context, at the server's URL (page.goto("./")); fails the test on a console
    error or a request to another host (see page_watch), with a screenshot when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    opened.on("console", page_watch.on_console)
    opened.on("pageerror", page_watch.on_page_error)
    context.on("request", page_watch.on_request)
    yield opened
    problems = page_watch.problems()
    if request.node.stash.get(CALL_FAILED, False) or problems:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".png")
        with contextlib.suppress(Exception):
            opened.screenshot(path=str(shot), full_page=True)
    context.close()
    if problems:
        pytest.fail("the page misbehaved:\n" + "\n".join(problems), pytrace=False)
