"""Inputs found by a bug bash on the non-data routes: each was a 500, a stalled server or a
database message; now a 4xx with a clear message."""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace

import jwt
import psycopg
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from tests.conftest import SECRET

SURROGATE_EMAIL = b'"\\ud800@example.org"'  # JSON lets a lone surrogate through; UTF-8 cannot hold it


class TestLoneSurrogates:
    async def test_login_with_such_an_email_is_a_422(self, client):
        body = b'{"email": ' + SURROGATE_EMAIL + b', "password": "x"}'
        response = await client.post(
            "/auth/token", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"]["email"] == ["Not a valid utf-8 string."]

    async def test_a_user_with_such_an_email_is_a_422(self, client, users):
        body = b'{"name": "n", "password": "x", "email": ' + SURROGATE_EMAIL + b"}"
        headers = {**users.admin.headers, "Content-Type": "application/json"}
        response = await client.post("/users/", content=body, headers=headers)
        assert response.status_code == 422

    async def test_a_password_with_one_is_a_422(self, client, users):
        body = b'{"email": "' + users.admin.email.encode() + b'", "password": "\\ud800"}'
        response = await client.post(
            "/auth/token", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"]["password"] == ["Not a valid utf-8 string."]

    async def test_a_signed_token_naming_such_an_email_is_invalid(self, client):
        token = jwt.api_jws.encode(
            b'{"email": "\\ud800@example.org", "type": "access"}', SECRET, algorithm="HS256"
        )
        response = await client.get("/users/", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["errors"] == {"authentication": "invalid_token"}

    async def test_a_properties_filter_holding_one(self, client, users):
        response = await client.get(
            "/timeseries/", params={"properties": '{"a": "\\ud800"}'}, headers=users.admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["properties"] == ["Not a valid utf-8 string."]


class TestPropertiesFilter:
    @pytest.mark.parametrize("text", ["[" * 3000, '{"a":' * 3000])
    async def test_deeply_nested_json(self, client, users, text):
        response = await client.get("/timeseries/", params={"properties": text}, headers=users.admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["properties"] == ["Not a valid json string."]

    async def test_at_most_16_properties(self, client, users):
        many = "{" + ",".join(f'"k{i}": "v"' for i in range(17)) + "}"
        response = await client.get("/timeseries/", params={"properties": many}, headers=users.admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["properties"] == ["At most 16 properties."]
        sixteen = "{" + ",".join(f'"k{i}": "v"' for i in range(16)) + "}"
        response = await client.get(
            "/timeseries/", params={"properties": sixteen}, headers=users.admin.headers
        )
        assert response.status_code == 200


class TestUnitSymbols:
    @pytest.mark.parametrize(
        "symbol", ["11**2**24", "9**9**9", "3**(2**28)", "((9**99)**99)**99", "m**-1e999"]
    )
    async def test_powers_that_would_run_for_minutes_are_undefined_units(self, client, users, symbol):
        started = time.perf_counter()
        response = await client.post(
            "/timeseries_properties/", json={"name": "p", "unit_symbol": symbol}, headers=users.admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"]["unit_symbol"] == ["Undefined unit."]
        assert time.perf_counter() - started < 1

    @pytest.mark.parametrize("symbol", ["m**2", "W/(m**2*K)", "kg*m/s^2", "m**-1", "m**2.5"])
    async def test_usual_powers_are_units(self, client, users, symbol):
        response = await client.post(
            "/timeseries_properties/",
            json={"name": symbol, "unit_symbol": symbol},
            headers=users.admin.headers,
        )
        assert response.status_code == 201


class TestIdsAndPages:
    async def test_association_ids_beyond_the_database_range(self, client, users):
        response = await client.get(
            "/users_by_user_groups/", params={"user_id": 2**31}, headers=users.admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["user_id"] == ["Not a valid id."]
        response = await client.post(
            "/users_by_user_groups/", json={"user_id": 2**31, "user_group_id": 1}, headers=users.admin.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"]["json"]["user_id"] == ["Not a valid id."]

    async def test_a_page_beyond_the_database_range(self, client, users):
        response = await client.get("/timeseries/", params={"page": 2**63}, headers=users.admin.headers)
        assert response.status_code == 422
        assert response.json()["errors"]["query"]["page"] == ["Must be less than or equal to 2147483647."]


class TestDatabaseContention:
    def _handler(self, app, exc_type):
        return app.exception_handlers[exc_type]

    async def test_no_free_connection_in_time_is_a_503(self, app):
        response = await self._handler(app, SQLAlchemyTimeout)(None, SQLAlchemyTimeout("pool"))
        assert response.status_code == 503

    async def test_a_deadlock_anywhere_is_a_409(self, app):
        orig = psycopg.errors.DeadlockDetected("deadlock detected")
        error = DBAPIError("UPDATE ...", {}, orig)
        response = await self._handler(app, DBAPIError)(SimpleNamespace(), error)
        assert response.status_code == 409


class TestPasswordChecks:
    async def test_they_leave_the_event_loop_free(self, client, users, monkeypatch):
        from bemserver.auth import passwords

        verify = passwords.verify_password

        def slow(password_hash: str, password: str) -> bool:
            time.sleep(0.5)  # blocking, as argon2 is
            return verify(password_hash, password)

        monkeypatch.setattr(passwords, "verify_password", slow)
        body = {"email": users.admin.email, "password": users.admin.password}
        login = asyncio.create_task(client.post("/auth/token", json=body))
        started = time.perf_counter()
        for _ in range(10):  # the event loop keeps ticking while the login checks the password
            await asyncio.sleep(0.02)
            assert (await client.get("/about/")).status_code == 200
        assert time.perf_counter() - started < 0.45
        assert not login.done()
        assert (await login).json()["status"] == "success"


class TestBodySize:
    LIMIT = 2000

    async def test_a_declared_length_beyond_the_limit_is_a_413_before_reading(self, client_for, users):
        small = await client_for(max_body_size=self.LIMIT)
        body = b"{" + b" " * self.LIMIT + b"}"
        response = await small.post("/users/", content=body, headers=users.admin.headers)
        assert response.status_code == 413
        answer = response.json()
        assert (answer["code"], answer["status"]) == (413, "Request Entity Too Large")
        assert answer["message"] == "Request body larger than 2000 bytes (BEMSERVER_MAX_BODY_SIZE)."

    async def test_a_streamed_body_beyond_the_limit_is_a_413(self, client_for, users):
        small = await client_for(max_body_size=self.LIMIT)

        async def chunks():  # no Content-Length: sent chunked
            for _ in range(10):
                yield b" " * 500

        headers = {**users.admin.headers, "Content-Type": "application/json"}
        response = await small.post(
            "/timeseries_data/", params={"data_state": 1}, content=chunks(), headers=headers
        )
        assert response.status_code == 413

    async def test_a_body_within_the_limit_is_served(self, client_for, users):
        small = await client_for(max_body_size=self.LIMIT)
        body = b'{"name": "Within", "email": "within@example.org", "password": "x"}' + b" " * 1900
        assert len(body) <= self.LIMIT
        headers = {**users.admin.headers, "Content-Type": "application/json"}
        response = await small.post("/users/", content=body, headers=headers)
        assert response.status_code == 201


class TestClientGoneMidBody:
    async def test_is_not_logged_as_an_error(self, app, users, caplog):
        messages = iter(
            [
                {"type": "http.request", "body": b'{"1": {', "more_body": True},
                {"type": "http.disconnect"},
            ]
        )
        sent: list[dict] = []

        async def receive():
            return next(messages)

        async def send(message):
            sent.append(message)

        headers = [
            (b"authorization", users.admin.headers["Authorization"].encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"100000"),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/timeseries_data/",
            "raw_path": b"/timeseries_data/",
            "query_string": b"data_state=1",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        with caplog.at_level(logging.ERROR):
            await app(scope, receive, send)
        assert sent[0]["status"] == 400
        assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
