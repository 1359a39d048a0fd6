"""503 + Retry-After when the database cannot serve, and load shedding (http/shedding.py).
The end-to-end cases are in tests/faults/."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import pytest

from bemserver.app import create_app
from bemserver.http.errors import database_unavailable
from bemserver.http.shedding import ConcurrencyLimit
from tests.conftest import make_settings


def error_with(sqlstate: str | None) -> psycopg.Error:
    class Fake(psycopg.errors.OperationalError if sqlstate is None else psycopg.Error):
        pass

    error = Fake("simulated")
    if sqlstate is not None:
        Fake.sqlstate = sqlstate  # type: ignore[misc]
    return error


@pytest.mark.parametrize(
    ("sqlstate", "unavailable"),
    [
        ("57P01", True),  # admin shutdown
        ("57P03", True),  # cannot connect now (starting up)
        ("08006", True),  # connection failure
        ("53100", True),  # disk full
        ("53300", True),  # too many connections
        ("25006", True),  # read-only transaction
        (None, True),  # a connection refused or lost: no SQLSTATE
        ("23505", False),
        ("22P02", False),
        ("40P01", False),
    ],
)
def test_which_errors_mean_unavailable(sqlstate: str | None, unavailable: bool):
    assert database_unavailable(error_with(sqlstate)) is unavailable


async def test_no_database_is_a_quick_503():
    app = create_app(make_settings(), "postgresql://postgres@127.0.0.1:9/nowhere")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for path in ("/users/", "/campaigns/"):
            response = await http.get(path, headers={"Authorization": "Basic YUBiLmM6eA=="})
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "2"
            assert response.json() == {
                "code": 503,
                "status": "Service Unavailable",
                "message": "The database is unavailable: please try again",
            }
        assert (await http.get("/about/")).status_code == 200  # needs no database
    await app.state.database.dispose()


class TestShedding:
    @staticmethod
    def limited(release: asyncio.Event, limit: int = 1, wait: float = 0.05) -> ConcurrencyLimit:
        async def slow(scope, receive, send):
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        return ConcurrencyLimit(slow, limit=limit, wait=wait)

    async def test_beyond_the_limit_a_request_gets_503_and_retry_after(self):
        release = asyncio.Event()
        app = self.limited(release)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            first = asyncio.create_task(http.get("/users/"))
            await asyncio.sleep(0.05)
            shed = await http.get("/users/")
            assert shed.status_code == 503
            assert shed.headers["Retry-After"] == "1"
            assert shed.json()["message"] == "The server is busy: please try again shortly"
            release.set()
            assert (await first).status_code == 200
            assert (await http.get("/users/")).status_code == 200  # the place was given back
        assert app.shed == 1

    async def test_a_request_waits_for_a_place_before_being_refused(self):
        release = asyncio.Event()
        app = self.limited(release, wait=5)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            first = asyncio.create_task(http.get("/a"))
            second = asyncio.create_task(http.get("/b"))
            await asyncio.sleep(0.05)
            release.set()
            assert [(await first).status_code, (await second).status_code] == [200, 200]

    @pytest.mark.parametrize("path", ["/about/", "/events/stream", "/notifications/stream"])
    async def test_health_check_and_streams_are_not_counted(self, path: str):
        release = asyncio.Event()
        app = self.limited(release, limit=1, wait=0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            busy = asyncio.create_task(http.get("/users/"))
            await asyncio.sleep(0.05)
            exempt = asyncio.create_task(http.get(path))
            await asyncio.sleep(0.05)
            assert not exempt.done()  # running (not refused), waiting like the first one
            release.set()
            assert (await exempt).status_code == 200
            await busy
        assert app.shed == 0
