"""Property tests: what is posted (JSON or CSV, by id or by name) is what is read back."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.timeseries_data.conftest import get_data, post_csv, post_json

HYPOTHESIS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_numbers = itertools.count()

# Subnormal values are refused by POST (docs/compatibility.md)
values = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False)
moments = st.datetimes(
    min_value=datetime(1680, 1, 2), max_value=datetime(2259, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda minutes: timedelta(minutes=minutes))
names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30
).filter(lambda name: name.strip() == name and name != "")
series = st.dictionaries(moments, values, max_size=40)


async def _new_timeseries(engine: Any, count: int, labels: list[str] | None = None) -> tuple[int, list[int]]:
    """A new campaign holding `count` timeseries (named `labels` if given); returns their ids."""
    number = next(_numbers)
    async with engine.begin() as c:
        campaign = (
            await c.execute(
                text("INSERT INTO campaigns (name) VALUES (:n) RETURNING id"), {"n": f"rt {number}"}
            )
        ).scalar_one()
        scope = (
            await c.execute(
                text("INSERT INTO campaign_scopes (name, campaign_id) VALUES ('s', :c) RETURNING id"),
                {"c": campaign},
            )
        ).scalar_one()
        ids = []
        for position in range(count):
            name = labels[position] if labels else f"ts {position}"
            ids.append(
                (
                    await c.execute(
                        text(
                            "INSERT INTO timeseries (name, campaign_id, campaign_scope_id)"
                            " VALUES (:n, :c, :s) RETURNING id"
                        ),
                        {"n": name, "c": campaign, "s": scope},
                    )
                ).scalar_one()
            )
    return campaign, ids


def _expected(points: dict[datetime, float]) -> dict[str, float]:
    return {moment.isoformat(): value for moment, value in sorted(points.items())}


class TestJsonRoundTrip:
    @HYPOTHESIS
    @given(data=st.lists(series, min_size=1, max_size=3), shift=offsets)
    async def test_by_id_any_values_and_instants_in_any_offset(self, client, admin, engine, data, shift):
        _, ids = await _new_timeseries(engine, len(data))
        zone = timezone(shift)
        body = {
            str(ts): {moment.astimezone(zone).isoformat(): value for moment, value in points.items()}
            for ts, points in zip(ids, data, strict=True)
        }
        assert (await post_json(client, admin, orjson.dumps(body))).status_code == 201
        response = await get_data(client, admin, ids, "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z")
        expected = {str(ts): _expected(points) for ts, points in zip(ids, data, strict=True) if points}
        assert response.json() == expected
        assert list(response.json()) == list(expected)

    @HYPOTHESIS
    @given(labels=st.lists(names, min_size=1, max_size=3, unique=True), data=st.data())
    async def test_by_name_any_names(self, client, admin, engine, labels, data):
        campaign, _ = await _new_timeseries(engine, len(labels), labels)
        posted = {label: data.draw(series) for label in labels}
        body = {label: {m.isoformat(): v for m, v in points.items()} for label, points in posted.items()}
        assert (await post_json(client, admin, orjson.dumps(body), campaign=campaign)).status_code == 201
        response = await get_data(
            client, admin, labels, "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z", campaign=campaign
        )
        assert response.json() == {label: _expected(points) for label, points in posted.items() if points}


def _csv_body(labels: list[str], rows: dict[datetime, list[float | None]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so that a CR in a name is quoted
    writer.writerow(["Datetime", *labels])
    for moment, cells in rows.items():
        writer.writerow([moment.isoformat(), *("" if cell is None else repr(cell) for cell in cells)])
    return buffer.getvalue()


class TestCsvRoundTrip:
    @HYPOTHESIS
    @given(
        labels=st.lists(names, min_size=1, max_size=3, unique=True),
        data=st.data(),
    )
    async def test_by_name_csv_out_is_csv_in(self, client, admin, engine, labels, data):
        campaign, _ = await _new_timeseries(engine, len(labels), labels)
        whole_seconds = moments.map(lambda moment: moment.replace(microsecond=0))
        cells = st.lists(st.none() | values, min_size=len(labels), max_size=len(labels))
        rows = data.draw(st.dictionaries(whole_seconds, cells, max_size=30))
        body = _csv_body(labels, rows)
        assert (await post_csv(client, admin, body, campaign=campaign)).status_code == 201
        response = await get_data(
            client,
            admin,
            labels,
            "1680-01-01T00:00:00Z",
            "2260-01-01T00:00:00Z",
            campaign=campaign,
            accept="text/csv",
        )
        read = list(csv.reader(io.StringIO(response.text)))
        assert read[0] == ["Datetime", *labels]
        expected = [
            [moment.strftime("%Y-%m-%dT%H:%M:%S%z"), *("" if cell is None else repr(cell) for cell in row)]
            for moment, row in sorted(rows.items())
            if any(cell is not None for cell in row)
        ]
        assert read[1:] == expected

    @HYPOTHESIS
    @given(rows=st.dictionaries(moments, values, max_size=60))
    async def test_by_id_csv_in_json_out(self, client, admin, engine, rows):
        _, ids = await _new_timeseries(engine, 1)
        body = _csv_body([str(ids[0])], {moment: [value] for moment, value in rows.items()})
        assert (await post_csv(client, admin, body)).status_code == 201
        response = await get_data(client, admin, ids, "1680-01-01T00:00:00Z", "2260-01-01T00:00:00Z")
        assert response.json() == ({str(ids[0]): _expected(rows)} if rows else {})
