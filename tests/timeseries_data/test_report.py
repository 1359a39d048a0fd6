"""Import reports: the X-Import-Report header on every data POST, the full report when asked for."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bemserver.timeseries_data.points import HandledCopyFailure
from tests.timeseries_data.conftest import post_csv, post_json

START = datetime(2020, 1, 1, tzinfo=UTC)


def _csv(labels: list[str], count: int, offset: int = 0, value: float = 1.0) -> str:
    lines = [",".join(["Datetime", *labels])]
    for k in range(offset, offset + count):
        moment = (START + timedelta(minutes=10 * k)).isoformat()
        lines.append(",".join([moment, *[repr(value)] * len(labels)]))
    return "\n".join(lines) + "\n"


def _header(response) -> dict[str, int]:
    return json.loads(response.headers["X-Import-Report"])


@pytest.mark.parametrize("count", [3, 800, 3000])  # one statement, arrays, COPY
class TestCounts:
    async def test_new_then_again_then_overwritten(self, client, world, count):
        ids = [str(world.ts[0]), str(world.ts[1])]
        response = await post_csv(client, world.admin, _csv(ids, count), report="true")
        assert response.status_code == 201, response.text
        new = {"inserted": count, "ignored": 0, "overwritten": 0}
        assert response.json() == {**new, "inserted": 2 * count, "timeseries": dict.fromkeys(ids, new)}
        assert _header(response) == {"inserted": 2 * count, "ignored": 0, "overwritten": 0}

        # half new, half already stored
        response = await post_csv(client, world.admin, _csv(ids, count, offset=count // 2), report="true")
        again = {"inserted": count // 2, "ignored": count - count // 2, "overwritten": 0}
        assert response.json()["timeseries"] == dict.fromkeys(ids, again)

        response = await post_csv(
            client, world.admin, _csv(ids, count, value=2.0), report="true", overwrite="true"
        )
        assert response.json()["timeseries"] == {
            key: {"inserted": 0, "ignored": 0, "overwritten": count} for key in ids
        }

    async def test_by_name(self, client, world, count):
        body = _csv(["Temperature"], count)
        response = await post_csv(client, world.admin, body, campaign=world.campaign, report="true")
        assert response.json()["timeseries"] == {
            "Temperature": {"inserted": count, "ignored": 0, "overwritten": 0}
        }


class TestAnswer:
    async def test_null_body_by_default_header_always(self, client, world):
        response = await post_json(client, world.admin, {str(world.ts[0]): {START.isoformat(): 1}})
        assert response.status_code == 201
        assert response.content == b"null"
        assert _header(response) == {"inserted": 1, "ignored": 0, "overwritten": 0}

    async def test_prefer_return_representation(self, client, world):
        response = await client.post(
            "/timeseries_data/",
            params={"data_state": 1},
            content=json.dumps({str(world.ts[0]): {START.isoformat(): 1, "2020-01-01T01:00:00Z": None}}),
            headers={
                **world.admin.headers,
                "Content-Type": "application/json",
                "Prefer": "return=representation",
            },
        )
        label = str(world.ts[0])
        assert response.json() == {
            "inserted": 1,
            "ignored": 0,
            "overwritten": 0,
            "timeseries": {label: {"inserted": 1, "ignored": 0, "overwritten": 0}},
        }

    async def test_duplicates_within_a_request_are_ignored(self, client, world):
        body = f"Datetime,{world.ts[0]}\n{START.isoformat()},1\n{START.isoformat()},2\n"
        response = await post_csv(client, world.admin, body, report="true")
        assert response.json()["timeseries"][str(world.ts[0])] == {
            "inserted": 1,
            "ignored": 1,
            "overwritten": 0,
        }

    async def test_empty_cells_are_no_points(self, client, world):
        body = f"Datetime,{world.ts[0]},{world.ts[1]}\n{START.isoformat()},1,\n{START.isoformat()}\n"
        response = await post_csv(client, world.admin, body, report="true")
        assert response.json()["timeseries"][str(world.ts[1])] == {
            "inserted": 0,
            "ignored": 0,
            "overwritten": 0,
        }


class TestFailedBulkImportLogs:
    async def test_no_psycopg_warning_for_a_handled_failure(self, client, world, caplog):
        label = str(world.ts[0])
        # COPY meets a stored instant early, and the parser a bad value chunks later
        assert (await post_csv(client, world.admin, _csv([label], 1500))).status_code == 201
        body = _csv([label], 60_000) + f"{(START + timedelta(days=3000)).isoformat()},oops\n"
        with caplog.at_level(logging.WARNING, logger="psycopg"):
            response = await post_csv(client, world.admin, body)
        assert response.status_code == 422
        assert not [record for record in caplog.records if record.name.startswith("psycopg")]

    def test_the_filter_drops_only_that_warning(self):
        copy = object.__new__(psycopg.AsyncCopy)
        dropped = logging.LogRecord(
            "psycopg", logging.WARNING, "", 0, "error ignored terminating %r: %s", (copy, "x"), None
        )
        kept = logging.LogRecord("psycopg", logging.WARNING, "", 0, "something else %s", ("x",), None)
        assert not HandledCopyFailure().filter(dropped)
        assert HandledCopyFailure().filter(kept)
