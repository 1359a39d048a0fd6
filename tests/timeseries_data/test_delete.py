"""DELETE /timeseries_data/ and /timeseries_data/campaign/{id}/, and points of deleted series."""

from sqlalchemy import text

from tests.timeseries_data.conftest import CLEAN, NAMES, delete_data, post_json, stored

T0, T1, T2 = "2020-01-01T00:00:00+00:00", "2020-01-01T01:00:00+00:00", "2020-01-01T02:00:00+00:00"


async def _fill(client, world):
    body = {str(ts): {T0: 1.0, T1: 2.0, T2: 3.0} for ts in world.ts}
    assert (await post_json(client, world.admin, body)).status_code == 201
    assert (await post_json(client, world.admin, body, data_state=CLEAN)).status_code == 201


class TestDeleteRange:
    async def test_deletes_start_included_end_excluded(self, client, world, engine):
        await _fill(client, world)
        response = await delete_data(client, world.admin, [world.ts[0], world.ts[1]], T1, T2)
        assert response.status_code == 204
        assert response.content == b""
        assert await stored(engine, world.ts[0]) == {T0: 1.0, T2: 3.0}
        assert await stored(engine, world.ts[1]) == {T0: 1.0, T2: 3.0}

    async def test_other_timeseries_and_data_states_are_kept(self, client, world, engine):
        await _fill(client, world)
        await delete_data(client, world.admin, [world.ts[0]])
        assert await stored(engine, world.ts[0]) == {}
        assert await stored(engine, world.ts[0], CLEAN) == {T0: 1.0, T1: 2.0, T2: 3.0}
        assert await stored(engine, world.ts[2]) == {T0: 1.0, T1: 2.0, T2: 3.0}

    async def test_start_not_before_end_deletes_nothing(self, client, world, engine):
        await _fill(client, world)
        assert (await delete_data(client, world.admin, [world.ts[0]], T2, T0)).status_code == 204
        assert len(await stored(engine, world.ts[0])) == 3

    async def test_a_timeseries_never_written_is_fine(self, client, world):
        assert (await delete_data(client, world.admin, [world.ts[0]])).status_code == 204

    async def test_by_name(self, client, world, engine):
        await _fill(client, world)
        response = await delete_data(client, world.admin, ["001", "Power, kW"], campaign=world.campaign)
        assert response.status_code == 204
        assert await stored(engine, world.ts[1]) == {}
        assert await stored(engine, world.ts[2]) == {}
        assert len(await stored(engine, world.ts[0])) == 3


class TestDeleteErrors:
    async def test_unknown_timeseries(self, client, world):
        response = await delete_data(client, world.admin, [world.ts[0], 69])
        assert response.status_code == 422
        assert response.json()["message"] == "Unknown timeseries: [69]"

    async def test_unknown_data_state(self, client, world):
        response = await delete_data(client, world.admin, [world.ts[0]], data_state=9)
        assert response.json()["errors"] == {"query": {"data_state": "Unknown data state ID"}}

    async def test_required_arguments(self, client, world):
        response = await client.delete("/timeseries_data/", headers=world.admin.headers)
        assert response.status_code == 422
        assert set(response.json()["errors"]["query"]) == {
            "timeseries",
            "start_time",
            "end_time",
            "data_state",
        }

    async def test_unknown_campaign_is_404(self, client, world):
        assert (await delete_data(client, world.admin, ["Temperature"], campaign=999)).status_code == 404


class TestDeletePermissions:
    async def test_member_of_the_scope_deletes(self, client, world, engine):
        await _fill(client, world)
        assert (await delete_data(client, world.user, [world.ts[0]])).status_code == 204
        assert await stored(engine, world.ts[0]) == {}

    async def test_one_timeseries_outside_ones_scopes_forbids_it_all(self, client, world, engine):
        await _fill(client, world)
        assert (await delete_data(client, world.user, [world.ts[0], world.ts[3]])).status_code == 403
        assert len(await stored(engine, world.ts[0])) == 3

    async def test_by_name_outside_ones_scopes(self, client, world):
        response = await delete_data(client, world.user, [NAMES[3]], campaign=world.campaign)
        assert response.status_code == 403

    async def test_non_member_of_the_campaign(self, client, world):
        response = await delete_data(client, world.user, ["Temperature"], campaign=world.other_campaign)
        assert response.status_code == 403


class TestDeletedSeriesLoseTheirPoints:
    async def _count(self, engine) -> int:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT count(*) FROM timeseries_data")))

    async def test_deleting_a_timeseries_deletes_its_points_only(self, client, world, engine):
        await _fill(client, world)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM timeseries WHERE id = :id"), {"id": world.ts[0]})
        assert await self._count(engine) == 3 * 2 * 3
        assert len(await stored(engine, world.ts[1])) == 3

    async def test_deleting_a_data_state_deletes_its_points(self, client, world, engine):
        await _fill(client, world)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM timeseries_data_states WHERE id = :id"), {"id": CLEAN})
        assert await self._count(engine) == 4 * 3
        assert len(await stored(engine, world.ts[0])) == 3

    async def test_deleting_a_campaign_deletes_all_its_points(self, client, world, engine):
        await _fill(client, world)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM campaigns WHERE id = :id"), {"id": world.campaign})
        assert await self._count(engine) == 0
