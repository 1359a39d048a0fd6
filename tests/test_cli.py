"""The `bemserver` command, run in subprocesses: serve on the embedded database, db upgrade, users create."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from bemserver import __version__
from tests.conftest import Users
from tests.helpers import free_port, listens

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cli")]

BEMSERVER = str(Path(sys.executable).parent / "bemserver")


def environment(**values: str) -> dict[str, str]:
    """The test process's environment without any BEMSERVER_* setting, plus `values`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    return env | values


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BEMSERVER, *args],
        cwd=cwd,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if process.info["name"] == "postgres" and str(data_dir.resolve()) in cmdline:
            found.append(process)
    return found


@dataclass
class Run:
    stdout: str
    stderr: str
    returncode: int
    users_status: int | None = None
    login: dict | None = None
    postgres_left: int = 0
    credentials: tuple[str | None, str | None] = (None, None)
    concurrent: subprocess.CompletedProcess[str] | None = None


class Server:
    """`bemserver serve` in the background, on a free port and its own data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [BEMSERVER, "serve", "--port", str(self.port)],
            cwd=data_dir.parent,
            env=environment(BEMSERVER_DATA_DIR=str(data_dir)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early: {self.process.communicate()}")
            try:  # our own process must listen there: another one may have the port too
                if listens(self.process.pid, self.port) and (
                    httpx.get(f"{self.url}/about/", timeout=2).status_code == 200
                ):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not start in time")

    def banner(self) -> str:
        """What the command prints before serving (click flushes each line), up to its address line."""
        assert self.process.stdout is not None
        lines = []
        while line := self.process.stdout.readline():
            lines.append(line)
            if line.startswith("BEMServer "):
                break
        return "".join(lines)

    def stop(self, printed: str = "") -> Run:
        self.process.send_signal(signal.SIGTERM)
        stdout, stderr = self.process.communicate(timeout=60)
        return Run(printed + stdout, stderr, self.process.returncode)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def credentials(stdout: str) -> tuple[str, str]:
    fields = dict(
        line.strip().split(":", 1)
        for line in stdout.splitlines()
        if line.strip().startswith(("email:", "password:"))
    )
    return fields["email"].strip(), fields["password"].strip()


def use_server(server: Server, email: str | None, password: str | None) -> tuple[dict, int]:
    login = httpx.post(
        f"{server.url}/auth/token", json={"email": email, "password": password}, timeout=10
    ).json()
    token = login.get("access_token", "")
    users = httpx.get(f"{server.url}/users/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return login, users.status_code


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli") / "data"


@pytest.fixture(scope="module")
def first_run(data_dir: Path) -> Iterator[Run]:
    """Start on an empty data folder, log in with the printed credentials, stop with SIGTERM."""
    server = Server(data_dir)
    try:
        printed = server.banner()
        server.wait_ready()
        email, password = credentials(printed) if "password:" in printed else (None, None)
        login, users_status = use_server(server, email, password)
        outcome = server.stop(printed)
        outcome.login, outcome.users_status = login, users_status
        outcome.credentials = (email, password)
        outcome.postgres_left = len(postgres_processes(data_dir))
        yield outcome
    finally:
        server.kill()


@pytest.fixture(scope="module")
def second_run(first_run: Run, data_dir: Path) -> Iterator[Run]:
    """Start again on the same folder; try a concurrent server; log in again; stop."""
    server = Server(data_dir)
    try:
        printed = server.banner()
        server.wait_ready()
        concurrent = run(
            "serve", "--port", str(free_port()), cwd=data_dir.parent, BEMSERVER_DATA_DIR=str(data_dir)
        )
        login, users_status = use_server(server, *first_run.credentials)
        outcome = server.stop(printed)
        outcome.concurrent, outcome.login, outcome.users_status = concurrent, login, users_status
        outcome.postgres_left = len(postgres_processes(data_dir))
        yield outcome
    finally:
        server.kill()


class TestServeOnTheEmbeddedDatabase:
    def test_first_start_prints_the_admin_credentials_once(self, first_run: Run):
        assert first_run.stdout.count("password:") == 1
        email, password = first_run.credentials
        assert email == "admin@localhost"
        assert password and len(password) >= 12

    def test_printed_credentials_log_in_and_list_users(self, first_run: Run):
        assert first_run.login is not None and first_run.login["status"] == "success"
        assert first_run.users_status == 200

    def test_sigterm_stops_the_server_and_its_postgres(self, first_run: Run):
        assert first_run.postgres_left == 0

    def test_sigterm_exit_is_quiet(self, first_run: Run):
        assert "Traceback" not in first_run.stderr

    def test_restart_keeps_the_data_and_prints_no_credentials(self, second_run: Run):
        assert "password:" not in second_run.stdout
        assert second_run.login is not None and second_run.login["status"] == "success"

    def test_same_credentials_give_access_after_a_restart(self, second_run: Run):
        assert second_run.users_status == 200

    def test_a_second_server_on_the_same_folder_is_refused(self, second_run: Run, data_dir: Path):
        concurrent = second_run.concurrent
        assert concurrent is not None
        assert concurrent.returncode != 0
        lines = concurrent.stderr.strip().splitlines()
        assert lines == [
            f"Error: Another BEMServer is already running on the data folder {data_dir.resolve()}"
        ]

    def test_second_stop_leaves_no_postgres(self, second_run: Run):
        assert second_run.postgres_left == 0

    def test_the_secret_key_is_kept_in_the_data_folder(self, second_run: Run, data_dir: Path):
        key = data_dir / "secret_key"
        assert key.exists()
        assert key.stat().st_mode & 0o077 == 0


class TestDbUpgrade:
    def test_unreachable_database_is_one_clear_line(self, tmp_path: Path):
        result = run(
            "db", "upgrade", cwd=tmp_path, BEMSERVER_DATABASE_URL="postgresql://nobody@127.0.0.1:1/x"
        )
        assert result.returncode != 0
        assert "Traceback" not in result.stderr + result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("Error: Cannot connect to the database")

    def test_not_a_postgresql_url(self, tmp_path: Path):
        result = run("db", "upgrade", cwd=tmp_path, BEMSERVER_DATABASE_URL="mysql://root@127.0.0.1/x")
        assert result.returncode != 0
        assert result.stderr.strip().splitlines() == [
            "Error: Not a PostgreSQL URL: 'mysql://root@127.0.0.1/x'"
        ]

    def test_bad_setting_is_one_clear_line(self, tmp_path: Path):
        result = run("db", "upgrade", cwd=tmp_path, BEMSERVER_ACCESS_TOKEN_LIFETIME="soon")
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("Error: Invalid configuration: BEMSERVER_ACCESS_TOKEN_LIFETIME")

    def test_upgrade_is_idempotent(self, tmp_path: Path, database_url: str):
        result = run("db", "upgrade", cwd=tmp_path, BEMSERVER_DATABASE_URL=database_url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "Database is up to date."


class TestVersionAndHelp:
    def test_version(self, tmp_path: Path):
        result = run("--version", cwd=tmp_path)
        assert result.returncode == 0
        assert result.stdout.strip() == f"bemserver {__version__}"

    def test_help_lists_the_commands(self, tmp_path: Path):
        result = run("--help", cwd=tmp_path)
        assert result.returncode == 0
        for command in ("serve", "db", "users"):
            assert command in result.stdout

    def test_flags_show_no_type(self, tmp_path: Path):
        result = run("--help", cwd=tmp_path)
        assert "<bool>" not in result.stdout
        assert "--version  Show the version." in result.stdout


class TestUsersCreateWhileServing:
    def test_suggests_the_api(self, tmp_path: Path):
        """The embedded database is held by a running server (its lock taken here)."""
        import fcntl

        data_dir = tmp_path / "data"
        data_dir.mkdir()
        with open(data_dir / "bemserver.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            args = ("users", "create", "--name", "N", "--email", "n@test.com", "--password", "pw")
            result = run(*args, cwd=tmp_path, BEMSERVER_DATA_DIR=str(data_dir))
        assert result.returncode != 0
        assert "Another BEMServer is already running" in result.stderr
        assert "POST /users/ as an admin" in result.stderr


class TestUsersCreate:
    def create(self, tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run("users", "create", *args, cwd=tmp_path, BEMSERVER_DATABASE_URL=database_url)

    async def test_created_admin_can_log_in(self, tmp_path, database_url, client, users: Users):
        args = ("--name", "Ops", "--email", "ops@test.com", "--password", "s3cret pass", "--admin")
        result = self.create(tmp_path, database_url, *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "User ops@test.com created (admin)."
        login = await client.post("/auth/token", json={"email": "ops@test.com", "password": "s3cret pass"})
        token = login.json()["access_token"]
        listed = await client.get(
            "/users/", params={"email": "ops@test.com"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.json()[0]["is_admin"] is True
        assert len((await client.get("/users/", headers={"Authorization": f"Bearer {token}"})).json()) == 4

    async def test_created_user_is_not_admin_by_default(self, tmp_path, database_url, client, users: Users):
        result = self.create(
            tmp_path, database_url, "--name", "U", "--email", "u@test.com", "--password", "pw"
        )
        assert result.returncode == 0, result.stderr
        listed = await client.get("/users/", params={"email": "u@test.com"}, headers=users.admin.headers)
        assert listed.json()[0]["is_admin"] is False

    async def test_duplicate_email_is_one_clear_line(self, tmp_path, database_url, users: Users):
        result = self.create(
            tmp_path, database_url, "--name", "X", "--email", users.admin.email, "--password", "pw"
        )
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"Error: A user with email {users.admin.email} already exists."
        ]

    async def test_an_email_differing_only_by_case_is_a_duplicate(self, tmp_path, database_url, users: Users):
        email = f" {users.admin.email.upper()}"
        result = self.create(tmp_path, database_url, "--name", "X", "--email", email, "--password", "pw")
        assert result.returncode == 1
        assert "already exists" in result.stderr

    async def test_invalid_email_is_refused(self, tmp_path, database_url, users: Users):
        result = self.create(tmp_path, database_url, "--name", "X", "--email", "nope", "--password", "pw")
        assert result.returncode == 1
        assert result.stderr.strip() == "Error: Not a valid email address: nope"


async def _campaign_with_series(engine, campaign_name: str, series_name: str) -> tuple[int, int]:
    """A campaign, one scope and one timeseries in it, made by SQL; the campaign's and series' ids."""
    from sqlalchemy import text

    async with engine.begin() as c:
        campaign = (
            await c.execute(
                text("INSERT INTO campaigns (name) VALUES (:n) RETURNING id"), {"n": campaign_name}
            )
        ).scalar_one()
        scope = (
            await c.execute(
                text("INSERT INTO campaign_scopes (name, campaign_id) VALUES ('s', :c) RETURNING id"),
                {"c": campaign},
            )
        ).scalar_one()
        series = (
            await c.execute(
                text(
                    "INSERT INTO timeseries (name, campaign_id, campaign_scope_id)"
                    " VALUES (:n, :c, :s) RETURNING id"
                ),
                {"n": series_name, "c": campaign, "s": scope},
            )
        ).scalar_one()
    return campaign, series


class TestDataImport:
    async def test_a_spreadsheet_file_by_name_with_progress(self, tmp_path, database_url, engine):
        campaign, _ = await _campaign_with_series(engine, "CLI import", "Gaz_m3")
        lines = ["Datetime;Gaz_m3"] + [
            f"{1 + k // 144:02d}/01/2023 {k % 144 // 6:02d}:{k % 6 * 10:02d};{k},5"
            for k in range(25_000 // 10)
        ]
        path = tmp_path / "gaz.csv"
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
        args = ("data", "import", str(path), "--campaign", str(campaign), "--timezone", "Europe/Paris")
        result = run(*args, cwd=tmp_path, BEMSERVER_DATABASE_URL=database_url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{path}: 2500 inserted, 0 ignored (already stored), 0 overwritten"
        again = run(*args, cwd=tmp_path, BEMSERVER_DATABASE_URL=database_url)
        assert again.stdout.strip() == f"{path}: 0 inserted, 2500 ignored (already stored), 0 overwritten"

    async def test_an_error_names_the_file_and_line(self, tmp_path, database_url, engine):
        _, ts = await _campaign_with_series(engine, "CLI errors", "T")
        path = tmp_path / "bad.csv"
        path.write_text(f"Datetime,{ts}\n2023-01-01T00:00:00Z,x\n")
        result = run("data", "import", str(path), cwd=tmp_path, BEMSERVER_DATABASE_URL=database_url)
        assert result.returncode == 1
        assert result.stderr.strip().endswith(
            f"Invalid values: 'x' at line 2, column '{ts}' (nothing of this file was stored)"
        )
