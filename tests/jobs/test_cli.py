"""`bemserver worker` and the worker embedded in `bemserver serve`, run in subprocesses."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.jobs.conftest import MailServer, eventually
from tests.test_cli import BEMSERVER, environment, free_port, run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("empty_queue")]


def enqueue_through_sql(database_url: str, subject: str) -> None:
    """Queue a mail as any program could, on its own connection to the database."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('default', 'send_mail', 0, NULL, NULL, %s::jsonb, NULL)"
            "::procrastinate_job_to_defer_v1])",
            (json.dumps({"to": ["ops@example.org"], "subject": subject, "body": "b"}),),
        )


def registered_workers(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
        return row[0] if row else 0


def start(args: list[str], cwd: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BEMSERVER, *args],
        cwd=cwd,
        env=environment(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    return process.returncode, stdout, stderr


def smtp_env(mail_server: MailServer, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "BEMSERVER_DATABASE_URL": database_url,
        "BEMSERVER_DATA_DIR": str(tmp_path / "data"),
        "BEMSERVER_SMTP_HOST": "127.0.0.1",
        "BEMSERVER_SMTP_PORT": str(mail_server.port),
        "BEMSERVER_ADMIN_PASSWORD": "not printed",
        "BEMSERVER_LOG_LEVEL": "warning",
    }


def test_worker_help(tmp_path: Path):
    result = run("worker", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--concurrency" in result.stdout


async def test_worker_delivers_and_stops_on_sigterm(
    tmp_path: Path, database_url: str, mail_server: MailServer
):
    mail_server.start()
    process = start(
        ["worker", "--concurrency", "2"], tmp_path, **smtp_env(mail_server, database_url, tmp_path)
    )
    try:
        await eventually(lambda: registered_workers(database_url) == 1, timeout=60)
        enqueue_through_sql(database_url, "from SQL")
        await eventually(lambda: mail_server.received)
        returncode, stdout, stderr = stop(process)
    finally:
        process.kill()
    assert returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stdout.strip().splitlines()[-1] == "Worker stopped."
    assert registered_workers(database_url) == 0  # unregistered on its way out
    assert [message["Subject"] for message in mail_server.received] == ["from SQL"]


async def test_serve_runs_one_embedded_worker(tmp_path: Path, database_url: str, mail_server: MailServer):
    mail_server.start()
    port = free_port()
    env = smtp_env(mail_server, database_url, tmp_path)
    process = start(["serve", "--port", str(port), "--workers", "2"], tmp_path, **env)
    try:
        await eventually(lambda: _ready(port), timeout=90)
        enqueue_through_sql(database_url, "embedded")
        await eventually(lambda: mail_server.received)
        assert registered_workers(database_url) == 1  # one, whatever the number of HTTP workers
        returncode, _, stderr = stop(process)
    finally:
        process.kill()
    assert "Traceback" not in stderr
    assert returncode in (0, 128 + signal.SIGTERM)  # as before the embedded worker
    assert registered_workers(database_url) == 0
    assert [message["Subject"] for message in mail_server.received] == ["embedded"]


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/about/", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
