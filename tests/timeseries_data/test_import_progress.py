"""The progress of a named data import (X-Import-Id / import_id): GET /timeseries_data/imports/{id}
and its /stream, end to end: the POST in one task, the reads in another, on another app (as another
server process would be) sharing the database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bemserver.app import create_app
from bemserver.timeseries_data import import_routes, imports
from tests.conftest import make_settings
from tests.events.test_streams import open_stream
from tests.timeseries_data.conftest import RAW, stored
from tests.timeseries_data.test_roundtrip import HYPOTHESIS

START = datetime(2020, 1, 1, tzinfo=UTC)
LINES = 20_000


@pytest.fixture(scope="module")
async def reader_app(database_url: str) -> AsyncIterator[Any]:
    """Another app on the database: the reads go to it, the POSTs to `client`'s."""
    app = create_app(make_settings(stream_heartbeat=0.3), database_url)
    yield app
    await app.state.database.dispose()


@pytest.fixture
async def reader(reader_app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=reader_app), base_url="http://t") as http:
        yield http


def _csv(timeseries: int, lines: int = LINES) -> bytes:
    rows = [f"Datetime,{timeseries}"]
    rows += [f"{(START + timedelta(minutes=i)).isoformat()},{i}.5" for i in range(lines)]
    return ("\n".join(rows) + "\n").encode()


async def _slowly(body: bytes, parts: int = 6, pause: float = 0.3) -> AsyncIterator[bytes]:
    """The body in parts, with pauses: a slow upload."""
    size = -(-len(body) // parts)
    for start in range(0, len(body), size):
        yield body[start : start + size]
        await asyncio.sleep(pause)


async def _post(client, user, body: Any, import_id: str | None = "imp-1", **params: Any) -> httpx.Response:
    headers = {**user.headers, "Content-Type": "text/csv"}
    if import_id is not None:
        headers["X-Import-Id"] = import_id
    if not isinstance(body, bytes):
        headers["Content-Length"] = str(params.pop("length"))
    return await client.post(
        "/timeseries_data/", params={"data_state": RAW, **params}, content=body, headers=headers
    )


def _events(stream) -> list[tuple[str, dict[str, Any]]]:
    return [(m["event"], json.loads(m["data"])) for m in stream.messages() if "event" in m]


class TestProgress:
    async def test_progress_then_the_report_on_the_stream_and_the_state(
        self, client, reader, reader_app, world, engine
    ):
        body = _csv(world.ts[0])
        posting = asyncio.create_task(
            _post(client, world.user, _slowly(body), length=len(body), report="true")
        )
        # The stream may open before the POST reaches the server: it waits for the import.
        async with open_stream(
            reader_app, "/timeseries_data/imports/imp-1/stream", world.user.headers
        ) as stream:
            assert stream.status == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            await stream.wait_for(lambda _: stream.ended, timeout=30)
        response = await posting
        assert response.status_code == 201, response.text
        events = _events(stream)
        names = [name for name, _ in events]
        assert names[-1] == "done" and set(names[:-1]) == {"progress"}
        progress = [state for name, state in events if name == "progress"]
        assert len(progress) >= 2  # seen while the body came in
        receiving = [state for state in progress if state["state"] == "receiving"]
        assert receiving and all(state["bytes_total"] == len(body) for state in receiving)
        assert any(0 < state["bytes_read"] < len(body) for state in receiving)  # part of the body
        reads = [state["bytes_read"] for state in progress]
        assert reads == sorted(reads)
        final = events[-1][1]
        assert final["report"] == response.json()
        assert final["report"]["inserted"] == LINES
        assert (final["bytes_read"], final["lines"], final["points"]) == (len(body), LINES + 1, LINES)
        assert final["error"] is None
        state = await reader.get("/timeseries_data/imports/imp-1", headers=world.user.headers)
        assert state.status_code == 200
        assert state.json() == final
        assert len(await stored(engine, world.ts[0])) == LINES

    async def test_the_stream_of_a_finished_import_is_its_final_state(self, client, reader_app, world):
        response = await _post(client, world.user, _csv(world.ts[0], 10), import_id="small")
        assert response.status_code == 201
        async with open_stream(
            reader_app, "/timeseries_data/imports/small/stream", world.user.headers
        ) as stream:
            await stream.wait_for(lambda _: stream.ended)
        ((name, state),) = _events(stream)
        assert name == "done"
        assert state["report"] == {
            "inserted": 10,
            "ignored": 0,
            "overwritten": 0,
            "timeseries": {str(world.ts[0]): {"inserted": 10, "ignored": 0, "overwritten": 0}},
        }

    async def test_by_query_argument_and_by_name(self, client, reader, world):
        body = f"Datetime,Temperature\n{START.isoformat()},1\n"
        response = await client.post(
            f"/timeseries_data/campaign/{world.campaign}/",
            params={"data_state": RAW, "import_id": "by-name.1~x"},
            content=body,
            headers={**world.user.headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 201, response.text
        state = (await reader.get("/timeseries_data/imports/by-name.1~x", headers=world.user.headers)).json()
        assert state["state"] == "done"
        assert state["report"]["timeseries"] == {
            "Temperature": {"inserted": 1, "ignored": 0, "overwritten": 0}
        }

    async def test_a_failed_import_keeps_its_error_answer(self, client, reader, reader_app, world, engine):
        body = f"Datetime,{world.ts[0]}\n{START.isoformat()},1\n{START.isoformat()},oops\n".encode()
        response = await _post(client, world.user, body, import_id="bad")
        assert response.status_code == 422
        state = (await reader.get("/timeseries_data/imports/bad", headers=world.user.headers)).json()
        assert state["state"] == "failed"
        assert state["error"] == response.json()
        assert state["report"] is None
        async with open_stream(
            reader_app, "/timeseries_data/imports/bad/stream", world.user.headers
        ) as stream:
            await stream.wait_for(lambda _: stream.ended)
        assert _events(stream) == [("failed", state)]
        assert await stored(engine, world.ts[0]) == {}

    async def test_a_forbidden_import_is_failed_too(self, client, reader, world):
        body = f"Datetime,{world.ts[3]}\n{START.isoformat()},1\n".encode()  # scope 2: not the user's
        response = await _post(client, world.user, body, import_id="no")
        assert response.status_code == 403
        state = (await reader.get("/timeseries_data/imports/no", headers=world.user.headers)).json()
        assert (state["state"], state["error"]) == ("failed", response.json())

    async def test_without_an_id_nothing_is_kept(self, client, reader, world, engine):
        response = await _post(client, world.user, _csv(world.ts[0], 5), import_id=None)
        assert response.status_code == 201
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM data_imports")) == 0

    async def test_an_id_in_use_by_a_running_import_is_a_409_then_free_again(self, client, reader, world):
        body = _csv(world.ts[0], 2000)
        first = asyncio.create_task(_post(client, world.user, _slowly(body, 4, 0.4), length=len(body)))
        await asyncio.sleep(0.3)
        second = await _post(client, world.user, _csv(world.ts[1], 3))
        assert second.status_code == 409, second.text
        assert "is running" in second.json()["message"]
        assert (await first).status_code == 201
        again = await _post(client, world.user, _csv(world.ts[1], 3), report="true")
        assert again.status_code == 201
        state = (await reader.get("/timeseries_data/imports/imp-1", headers=world.user.headers)).json()
        assert state["report"] == again.json()

    async def test_an_import_whose_server_stopped_reads_as_failed(self, reader, world, engine):
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO data_imports (user_id, import_id, state, version, bytes_read, points,"
                    " backend_pid) VALUES (:u, 'lost', 'writing', 3, 10, 5, 0)"
                ),
                {"u": world.user.id},
            )
        state = (await reader.get("/timeseries_data/imports/lost", headers=world.user.headers)).json()
        assert (state["state"], state["error"]) == ("failed", import_routes.LOST)


class TestWhoSees:
    async def test_its_user_and_admins_only(self, client, reader, reader_app, world, monkeypatch):
        monkeypatch.setattr(import_routes, "PENDING_WAIT", 0.3)
        assert (await _post(client, world.user, _csv(world.ts[0], 3), import_id="mine")).status_code == 201
        assert (await _post(client, world.admin, _csv(world.ts[1], 3), import_id="admins")).status_code == 201
        admin, user = world.admin.headers, world.user.headers
        assert (await reader.get("/timeseries_data/imports/mine", headers=admin)).json()["state"] == "done"
        assert (await reader.get("/timeseries_data/imports/admins", headers=user)).status_code == 404
        async with open_stream(reader_app, "/timeseries_data/imports/admins/stream", user) as stream:
            assert stream.status == 404
        async with open_stream(reader_app, "/timeseries_data/imports/mine/stream", admin) as stream:
            await stream.wait_for(lambda _: stream.ended)
        assert [name for name, _ in _events(stream)] == ["done"]
        assert (await reader.get("/timeseries_data/imports/mine")).status_code == 401

    async def test_each_user_has_their_own_ids(self, client, reader, world):
        assert (await _post(client, world.user, _csv(world.ts[0], 3), import_id="same")).status_code == 201
        assert (await _post(client, world.admin, _csv(world.ts[1], 4), import_id="same")).status_code == 201
        for who, points in ((world.user, 3), (world.admin, 4)):
            state = (await reader.get("/timeseries_data/imports/same", headers=who.headers)).json()
            assert state["points"] == points


class TestIds:
    @pytest.mark.parametrize("import_id", ["unknown", "x" * 64, "a%20b", "%C3%A9t%C3%A9", "x" * 65, "a%00b"])
    async def test_unknown_or_impossible_ids_are_404(self, reader, reader_app, world, monkeypatch, import_id):
        monkeypatch.setattr(import_routes, "PENDING_WAIT", 0.3)
        response = await reader.get(f"/timeseries_data/imports/{import_id}", headers=world.user.headers)
        assert response.status_code == 404
        assert response.json()["message"] == "No such import"
        path = f"/timeseries_data/imports/{import_id}/stream"
        async with open_stream(reader_app, path, world.user.headers) as stream:
            assert stream.status == 404

    @pytest.mark.parametrize("import_id", ["", " ", "a b", "été", "x" * 65, "a/b", "a\tb"])
    async def test_bad_ids_are_refused_before_anything_is_written(self, client, world, engine, import_id):
        response = await client.post(
            "/timeseries_data/",
            params={"data_state": RAW, "import_id": import_id},
            content=_csv(world.ts[0], 2),
            headers={**world.user.headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 422, response.text
        assert "import_id" in response.json()["errors"]["query"]
        assert await stored(engine, world.ts[0]) == {}

    @HYPOTHESIS
    @given(
        import_id=st.text(max_size=70),
        header=st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=70),
    )
    async def test_any_id_is_a_201_or_a_422_and_any_path_a_200_or_404(
        self, client, reader, admin, import_id, header
    ):
        headers = {**admin.headers, "Content-Type": "application/json"}
        if header is not None:
            headers["X-Import-Id"] = header
        response = await client.post(
            "/timeseries_data/",
            params={"data_state": RAW, "import_id": import_id},
            content=b"{}",
            headers=headers,
        )
        assert response.status_code in (201, 422), response.text
        for name in (import_id, header or ""):
            found = await reader.get(
                f"/timeseries_data/imports/{quote(name, safe='')}", headers=admin.headers
            )
            assert found.status_code in (200, 404, 405, 307), found.text

    async def test_a_bad_header(self, client, world):
        headers = {**world.user.headers, "Content-Type": "text/csv", "X-Import-Id": "a b"}
        response = await client.post(
            "/timeseries_data/", params={"data_state": RAW}, content=_csv(world.ts[0], 2), headers=headers
        )
        assert response.status_code == 422
        assert "import_id" in response.json()["errors"]["headers"]

    async def test_header_and_argument_must_agree(self, client, world):
        headers = {**world.user.headers, "Content-Type": "text/csv", "X-Import-Id": "one"}
        response = await client.post(
            "/timeseries_data/",
            params={"data_state": RAW, "import_id": "two"},
            content=_csv(world.ts[0], 2),
            headers=headers,
        )
        assert response.status_code == 422
        same = await client.post(
            "/timeseries_data/",
            params={"data_state": RAW, "import_id": "one"},
            content=_csv(world.ts[0], 2),
            headers=headers,
        )
        assert same.status_code == 201


class TestCost:
    async def test_saves_are_few_whatever_the_size(self, client, world, monkeypatch):
        """At most one save per INTERVAL (plus start, the writing phase and the end), not per point."""
        saves = 0
        save = imports.Tracker._save

        async def counted(self, values):
            nonlocal saves
            saves += 1
            await save(self, values)

        monkeypatch.setattr(imports.Tracker, "_save", counted)
        monkeypatch.setattr(imports, "INTERVAL", 3600.0)
        response = await _post(client, world.user, _csv(world.ts[0], 50_000), import_id="big")
        assert response.status_code == 201
        assert saves <= 2  # the writing phase and the final state
