"""Fuzzing the data routes: whatever the body or the arguments, the answer is never a 5xx."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.timeseries_data.conftest import get_data, post_csv, post_json

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
timestamps = st.sampled_from(
    ["2020-01-01T00:00:00Z", "2020-01-01T00:00:00+01:00", "2020-01-01", "x", "", "9999-12-31T23:59:59+14:00"]
) | st.text(max_size=40)
point_values = scalars | st.sampled_from(["1", " 2.5 ", "1e400", "NaN", "-inf", "0x1p3", "1_000"])


def _bodies(labels: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    """Bodies of the right shape with random labels, timestamps and values, or anything at all."""
    shaped = st.dictionaries(labels, st.dictionaries(timestamps, point_values, max_size=5), max_size=3)
    return shaped | json_values


def _csv_texts(labels: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    cells = (
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | timestamps | point_values.map(str)
    )
    lines = st.lists(st.lists(cells, max_size=4).map(",".join), max_size=5)
    header = st.lists(labels, max_size=3).map(lambda names: ",".join(["Datetime", *names]))
    return st.tuples(header | cells, lines).map(lambda parts: "\n".join([parts[0], *parts[1]]))


def _labels(world) -> st.SearchStrategy[str]:
    known = [str(ts) for ts in world.ts] + ["Temperature", "001", "Power, kW", "99999999999999999999"]
    return st.sampled_from(known) | st.text(max_size=12)


class TestNoServerErrorOnPost:
    @FUZZ
    @given(data=st.data())
    async def test_random_json(self, client, world, data):
        body = data.draw(_bodies(_labels(world)))
        for campaign in (None, world.campaign):
            for who in (world.admin, world.user):
                response = await post_json(client, who, body, campaign=campaign)
                assert response.status_code in (201, 403, 422), response.text

    @FUZZ
    @given(data=st.data(), raw=st.binary(max_size=200))
    async def test_random_bytes(self, client, world, data, raw):
        for poster in (post_json, post_csv):
            response = await poster(
                client, world.admin, raw, campaign=data.draw(st.sampled_from([None, world.campaign]))
            )
            assert response.status_code in (201, 422), response.text

    @FUZZ
    @given(data=st.data())
    async def test_random_csv(self, client, world, data):
        body = data.draw(_csv_texts(_labels(world)))
        for campaign in (None, world.campaign):
            response = await post_csv(client, world.admin, body, campaign=campaign)
            assert response.status_code in (201, 422), response.text

    @FUZZ
    @given(
        data_state=st.text(max_size=12) | st.integers().map(str),
        overwrite=st.text(max_size=6),
        content_type=st.text(max_size=30),
    )
    async def test_random_arguments(self, client, world, data_state, overwrite, content_type):
        response = await client.post(
            "/timeseries_data/",
            params={"data_state": data_state, "overwrite": overwrite},
            content=b"{}",
            headers={**world.admin.headers, "Content-Type": content_type.encode("ascii", "ignore").decode()},
        )
        assert response.status_code in (201, 422), response.text


class TestNoServerErrorOnGet:
    @FUZZ
    @given(
        data=st.data(),
        start=timestamps,
        end=timestamps,
        timezone=st.sampled_from(["UTC", "Europe/Paris", "Asia/Kathmandu", "Nope"]) | st.text(max_size=10),
        convert_to=st.lists(
            st.sampled_from(["", "W", "°F", "m", "kWh", "%"]) | st.text(max_size=6), max_size=3
        ),
        accept=st.sampled_from(["text/csv", "*/*", "application/json", "text/csv;q=x"])
        | st.text(max_size=20),
    )
    async def test_random_arguments(self, client, world, data, start, end, timezone, convert_to, accept):
        await post_json(client, world.admin, {str(world.ts[0]): {"2020-01-01T00:00:00Z": 1.5}})
        campaign = data.draw(st.sampled_from([None, world.campaign]))
        labels = data.draw(st.lists(_labels(world), min_size=1, max_size=3))
        params = {"timezone": timezone}
        if convert_to:
            params["convert_to"] = convert_to
        response = await get_data(
            client,
            world.admin,
            labels,
            start,
            end,
            campaign=campaign,
            accept=accept.encode("ascii", "ignore").decode(),
            **params,
        )
        assert response.status_code in (200, 403, 404, 422), response.text
