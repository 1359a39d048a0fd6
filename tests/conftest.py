"""Test fixtures: a real PostgreSQL (the machine's, else an embedded one), migrated by Alembic.

Each test starts from an empty, freshly seeded database with three users: an admin, an active
user and an inactive user. Requests go through httpx to the ASGI app.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Connection, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.app import create_app
from bemserver.auth.passwords import hash_password
from bemserver.auth.tokens import encode_token
from bemserver.db.base import Base
from bemserver.db.migrate import upgrade
from bemserver.db.models import load_all_models
from bemserver.db.seed import seed
from bemserver.settings import Settings
from bemserver.users.models import User

# Each checkout keeps its pytest temporary folders apart: pytest rotates the numbered folders of
# one temporary root, so test runs of several checkouts at once would delete each other's.
_CHECKOUT = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
os.environ.setdefault(
    "PYTEST_DEBUG_TEMPROOT", str(Path(tempfile.gettempdir()) / f"bemserver-pytest-{_CHECKOUT}")
)
Path(os.environ["PYTEST_DEBUG_TEMPROOT"]).mkdir(exist_ok=True)

SECRET = "test secret key, long enough for HS256 (32+ bytes)"
PASSWORD = "p@ssw0rd"
LOCAL_SERVER = os.environ.get("BEMSERVER_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")


def _server_url(tmp_root: Path) -> tuple[str, Any]:
    """The machine's PostgreSQL when reachable, else an embedded server in a temp folder."""
    try:
        with psycopg.connect(LOCAL_SERVER + "/postgres", connect_timeout=3):
            return LOCAL_SERVER, None
    except psycopg.Error:
        from bemserver.db.embedded import EmbeddedPostgres

        embedded = EmbeddedPostgres(tmp_root / "pg")
        uri = embedded.start()
        return uri.rsplit("/", 1)[0].split("?")[0], embedded


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    tmp_root = Path(tempfile.mkdtemp(prefix="bemserver-tests-"))
    server, embedded = _server_url(tmp_root)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"bemserver_test_{worker}_{os.getpid()}"
    admin_url = server + "/postgres"
    if embedded is not None:
        admin_url = embedded._server.get_uri("postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = server + "/" + name
    if embedded is not None:
        url = embedded._server.get_uri(name)
    upgrade(url)
    load_all_models()
    yield url
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if embedded is not None:
        embedded.close()


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret_key": SECRET,
        "auth_methods": ["Bearer", "Basic"],
        "data_dir": Path(tempfile.gettempdir()) / "bemserver-test-data",
        "database_url": None,
        "log_level": "warning",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def app(database_url: str) -> Any:
    return create_app(make_settings(), database_url)


@pytest.fixture(scope="session")
def engine(app: Any) -> AsyncEngine:
    return app.state.database.engine


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def client_for(database_url: str) -> AsyncIterator[Any]:
    """Builds another app on the test database with other settings: `await client_for(auth_methods=[...])`."""
    opened: list[tuple[Any, httpx.AsyncClient]] = []

    async def build(**overrides: Any) -> httpx.AsyncClient:
        other = create_app(make_settings(**overrides), database_url)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://testserver")
        opened.append((other, http))
        return http

    yield build
    for other, http in opened:
        await http.aclose()
        await other.state.database.dispose()


@dataclass
class TestUser:
    __test__ = False  # not a test class, despite its name

    id: int
    name: str
    email: str
    is_admin: bool
    is_active: bool
    password: str = PASSWORD
    headers: dict[str, str] = field(default_factory=dict)

    def token(self, kind: str = "access", lifetime: int | None = 900) -> str:
        return encode_token(SECRET, self.email, kind, lifetime)  # type: ignore[arg-type]

    @property
    def basic(self) -> dict[str, str]:
        raw = base64.b64encode(f"{self.email}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}


@dataclass
class Users:
    admin: TestUser
    active: TestUser
    inactive: TestUser


_HASH = hash_password(PASSWORD)


def _empty_every_table(connection: Connection) -> None:
    """DELETE every row and rewind every sequence: ~1 ms, where TRUNCATE of ~50 tables takes ~100 ms.

    Tables are emptied children first (the metadata's dependency order); tables that exist only in the
    migrations come first. Should that order ever fail, TRUNCATE ... CASCADE does the job instead.
    """
    known = [table.name for table in Base.metadata.sorted_tables]
    present = set(
        connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        ).scalars()
    )
    ordered = sorted(present - set(known)) + [name for name in reversed(known) if name in present]
    sequences = list(
        connection.exec_driver_sql(
            "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()"
        ).scalars()
    )
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("; ".join(f'DELETE FROM "{name}"' for name in ordered))
    except DBAPIError:
        names = ", ".join(f'"{name}"' for name in ordered)
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    if sequences:
        connection.exec_driver_sql("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in sequences))


async def reset_database(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_empty_every_table)
        await connection.run_sync(seed)


@pytest.fixture
async def users(engine: AsyncEngine) -> Users:
    await reset_database(engine)
    made = []
    async with engine.begin() as connection:
        for name, is_admin, is_active in (
            ("Chuck", True, True),
            ("Active", False, True),
            ("Inactive", False, False),
        ):
            email = f"{name.lower()}@test.com"
            user_id = await connection.scalar(
                insert(User)
                .values(name=name, email=email, password=_HASH, is_admin=is_admin, is_active=is_active)
                .returning(User.id)
            )
            user = TestUser(user_id, name, email, is_admin, is_active)
            user.headers = {"Authorization": f"Bearer {user.token()}"}
            made.append(user)
    return Users(*made)


@pytest.fixture
def admin(users: Users) -> TestUser:
    return users.admin


@pytest.fixture
def user(users: Users) -> TestUser:
    return users.active


@pytest.fixture
def inactive(users: Users) -> TestUser:
    return users.inactive


def wait_until(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
