"""The server side of the benchmark: `bemserver serve` started and stopped, resident memory read from /proc."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
from bench_api import SetupError

# --- Server memory, read from /proc -------------------------------------------------------------


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])  # after "pid (comm) state"


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (uvicorn workers included)."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid in _all_pids():
        parent = _parent_of(pid)
        if parent is not None:
            children[parent].append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
            return 0  # the database is not the server process (and shares its buffers)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_mib(root: int) -> float | None:
    """Resident memory of the process tree rooted at `root`, postgres excluded; None if it is gone."""
    if not Path(f"/proc/{root}").exists():
        return None
    return round(sum(_rss_kib(pid) for pid in process_tree(root)) / 1024, 1)


def _running_seconds(pid: int) -> float | None:
    """CPU time of the process's live threads, in nanoseconds from /proc/<pid>/task/*/schedstat
    (ticks of 10 ms are too coarse for requests of a millisecond); None where not available."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


def _cpu_seconds(pid: int, postgres: bool) -> float:
    try:
        if not postgres and Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
            return 0.0
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    ticks = os.sysconf("SC_CLK_TCK")
    running = _running_seconds(pid)
    if running is None:  # utime + stime
        running = (int(fields[11]) + int(fields[12])) / ticks
    # plus cutime + cstime: the CPU of its children that exited (PostgreSQL backends...)
    return running + (int(fields[13]) + int(fields[14])) / ticks


def tree_cpu_seconds(root: int, postgres: bool = False) -> float | None:
    """CPU time used so far by the live processes of the tree rooted at `root` (postgres ones too?)."""
    if not Path(f"/proc/{root}").exists():
        return None
    return sum(_cpu_seconds(pid, postgres) for pid in process_tree(root))


def listening_pid(port: int) -> int | None:
    """The top process of the tree listening on TCP `port` (found through /proc), if visible to us."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    owners = set()
    for pid in _all_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                owners.add(pid)
        except OSError:
            continue
    tops = sorted(pid for pid in owners if _parent_of(pid) not in owners)
    return tops[0] if tops else None


class RssSampler:
    """Samples the tree's RSS every 20 ms in a thread, keeping the peak."""

    def __init__(self, root: int | None) -> None:
        self.root, self.peak = root, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set() and self.root is not None:
            rss = tree_rss_mib(self.root)
            if rss is not None:
                self.peak = rss if self.peak is None else max(self.peak, rss)
            self._stop.wait(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- Starting and stopping `bemserver serve` -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ManagedServer:
    """`bemserver serve` on a free loopback port, in a temporary folder (data, log, embedded PostgreSQL)."""

    def __init__(self, command: str, workers: int, database_url: str | None) -> None:
        self.command, self.workers, self.database_url = command, workers, database_url
        self.folder = Path(tempfile.mkdtemp(prefix="bemserver-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.email, self.password = "bench@localhost", secrets.token_urlsafe(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_environment: dict[str, str] = {}  # e.g. the SMTP sink's address

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)  # other BEMSERVER_* settings (pool size...) pass through
        env.pop("BEMSERVER_DATABASE_URL", None)
        env |= {
            "BEMSERVER_DATA_DIR": str(self.folder / "data"),
            "BEMSERVER_SECRET_KEY": secrets.token_urlsafe(48),
            "BEMSERVER_ADMIN_EMAIL": self.email,
            "BEMSERVER_ADMIN_PASSWORD": self.password,
            "BEMSERVER_LOG_LEVEL": "warning",
        }
        if self.database_url:
            env["BEMSERVER_DATABASE_URL"] = self.database_url
        return env | self.extra_environment

    def sql_database_url(self) -> str | None:
        """The server's database for direct SQL: the given URL, else the embedded PostgreSQL's socket."""
        if self.database_url:
            return self.database_url
        try:
            lines = (self.folder / "data" / "postgres" / "postmaster.pid").read_text().splitlines()
            port, socket_dir = int(lines[3]), lines[4].strip()
        except (OSError, ValueError, IndexError):
            return None
        return f"postgresql://postgres@/bemserver?host={socket_dir}&port={port}"

    def start(self, timeout: float = 180) -> None:
        with open(self.folder / "server.log", "wb") as log:
            try:
                self.process = subprocess.Popen(
                    [self.command, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                    cwd=self.folder,  # no stray .env file is read
                    env=self.environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches the benchmark, which then stops the server
                )
            except OSError as exc:
                raise SetupError(f"cannot run {self.command}: {exc}") from None
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SetupError(f"the server exited at start-up:\n{self.log_tail()}")
                try:
                    if http.get("/about/").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise SetupError(f"the server did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def create_user(self) -> None:
        """On a database that already has users, the start-up admin is not created: add one."""
        self.email = f"bench-{secrets.token_hex(4)}@localhost"
        done = subprocess.run(
            [
                self.command,
                "users",
                "create",
                "--admin",
                "--name",
                "Benchmark",
                "--email",
                self.email,
                "--password",
                self.password,
            ],
            cwd=self.folder,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode:
            raise SetupError(f"'bemserver users create' failed: {done.stderr.strip()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> str:
        """SIGTERM (the server stops its embedded PostgreSQL), SIGKILL after 60 s; returns a problem or ""."""
        problem = ""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
                problem = "the server ignored SIGTERM for 60 s and was killed"
        problem = self._stop_orphan_postgres() or problem
        shutil.rmtree(self.folder, ignore_errors=True)
        return problem

    def postmaster_pid(self) -> int | None:
        """The embedded PostgreSQL's main process, while it runs."""
        try:
            pid = int((self.folder / "data" / "postgres" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if Path(f"/proc/{pid}").exists() else None

    def _stop_orphan_postgres(self) -> str:
        """Should the server have died without stopping its embedded PostgreSQL, stop that one."""
        pid = self.postmaster_pid()
        if pid is None:
            return ""
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        for _ in range(300):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        return "the embedded PostgreSQL outlived the server and was stopped"
