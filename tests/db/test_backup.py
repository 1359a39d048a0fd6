"""`bemserver db backup FILE` and `bemserver db restore FILE`: a round trip keeps every row of
every table (and the sequences), on an external server and on the embedded one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bemserver.db.backup import BackupFailed, backup, find_tool, restore
from bemserver.db.migrate import upgrade
from tests.conftest import Users
from tests.helpers import scratch_database

pytestmark = pytest.mark.xdist_group("cli")

BEMSERVER = str(Path(sys.executable).parent / "bemserver")


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table's rows in a stable order, and every sequence's position."""
    with psycopg.connect(plain(url)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        content: dict[str, list[tuple]] = {}
        for table in tables:
            rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            content[table] = sorted(rows, key=repr)
        for name, value in connection.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ):
            content[f"sequence {name}"] = [(value,)]
    return content


@pytest.fixture
def other_database(database_url: str):
    with scratch_database(database_url, "restore") as url:
        yield url


async def fill(client, users: Users) -> None:
    """Rows in the main tables: a campaign, a site, a timeseries with data, a group, an event."""
    headers = users.admin.headers
    campaign = (
        await client.post("/campaigns/", json={"name": "Backup", "timezone": "UTC"}, headers=headers)
    ).json()
    await client.post("/sites/", json={"name": "Site", "campaign_id": campaign["id"]}, headers=headers)
    scope = (
        await client.post(
            "/campaign_scopes/", json={"name": "S", "campaign_id": campaign["id"]}, headers=headers
        )
    ).json()
    series = (
        await client.post(
            "/timeseries/",
            json={"name": "T", "campaign_id": campaign["id"], "campaign_scope_id": scope["id"]},
            headers=headers,
        )
    ).json()
    points = {str(series["id"]): {f"2020-01-01T00:{m:02d}:00+00:00": m * 1.5 for m in range(60)}}
    response = await client.post("/timeseries_data/?data_state=1", json=points, headers=headers)
    assert response.status_code == 201, response.text
    await client.post("/user_groups/", json={"name": "Group"}, headers=headers)
    await client.post("/auth/token", json={"email": users.active.email, "password": "p@ssw0rd"})


async def test_round_trip_of_every_table(
    client, users: Users, database_url: str, other_database: str, tmp_path: Path
):
    await fill(client, users)
    before = snapshot(database_url)
    assert before["timeseries_data"] and before["token_families"] and before["users"]
    file = tmp_path / "bemserver.backup"
    backup(database_url, file, embedded=False)
    assert file.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    restore(other_database, file, embedded=False)
    assert snapshot(other_database) == before


async def test_restore_replaces_what_is_there(
    client, users: Users, database_url: str, other_database: str, tmp_path: Path
):
    await fill(client, users)
    file = tmp_path / "bemserver.backup"
    backup(database_url, file, embedded=False)
    upgrade(other_database)
    with psycopg.connect(plain(other_database), autocommit=True) as connection:
        connection.execute("INSERT INTO user_groups (name) VALUES ('only in the target')")
    restore(other_database, file, embedded=False)
    assert snapshot(other_database) == snapshot(database_url)


def test_a_broken_file_leaves_the_database_unchanged(database_url: str, other_database: str, tmp_path: Path):
    upgrade(other_database)
    with psycopg.connect(plain(other_database), autocommit=True) as connection:
        connection.execute("INSERT INTO user_groups (name) VALUES ('kept')")
    before = snapshot(other_database)
    file = tmp_path / "broken.backup"
    file.write_bytes(b"PGDMP not really")
    with pytest.raises(BackupFailed):
        restore(other_database, file, embedded=False)
    assert snapshot(other_database) == before


def test_a_failed_backup_writes_no_file(tmp_path: Path, database_url: str):
    server = database_url.rsplit("/", 1)[0]
    file = tmp_path / "none.backup"
    with pytest.raises(BackupFailed):
        backup(f"{server}/no_such_database_here", file, embedded=False)
    assert not file.exists() and not list(tmp_path.iterdir())


def test_the_tools_can_read_the_server(database_url: str):
    for name in ("pg_dump", "pg_restore"):
        assert find_tool(name, database_url, embedded=False).exists()


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("BEMSERVER_")}
    return subprocess.run(
        [BEMSERVER, *args],
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


async def test_the_commands_on_an_external_server(
    client, users: Users, database_url: str, other_database: str, tmp_path: Path
):
    await fill(client, users)
    file = tmp_path / "cli.backup"
    done = cli("db", "backup", str(file), BEMSERVER_DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert f"Backup written to {file}" in done.stdout
    done = cli("db", "restore", str(file), "--yes", BEMSERVER_DATABASE_URL=other_database)
    assert done.returncode == 0, done.stderr
    assert snapshot(other_database) == snapshot(database_url)


def test_the_commands_on_the_embedded_server(tmp_path: Path):
    """Backup of one embedded data folder, restored into another: same rows."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        done = cli("users", "create", "--name", "N", "--email", f"{folder.name}@test.com", "--password", "pw",
                   BEMSERVER_DATA_DIR=str(folder))  # fmt: skip
        assert done.returncode == 0, done.stderr
    file = tmp_path / "embedded.backup"
    done = cli("db", "backup", str(file), BEMSERVER_DATA_DIR=str(first))
    assert done.returncode == 0, done.stderr
    done = cli("db", "restore", str(file), "--yes", BEMSERVER_DATA_DIR=str(second))
    assert done.returncode == 0, done.stderr
    done = cli("users", "create", "--name", "N", "--email", "first@test.com", "--password", "pw",
               BEMSERVER_DATA_DIR=str(second))  # fmt: skip
    assert "already exists" in done.stderr  # the first folder's user is now in the second


def test_restore_needs_an_existing_file(tmp_path: Path, database_url: str):
    done = cli("db", "restore", str(tmp_path / "missing"), "--yes", BEMSERVER_DATABASE_URL=database_url)
    assert done.returncode == 1
    assert "No such file" in done.stderr
