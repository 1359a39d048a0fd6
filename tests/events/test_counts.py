"""GET /events/ through the kept counts (bemserver/events/counts.py): every page and total equals
the plain answer, with ids in or out of time order, after deletes and updates, for admins and
members.

Hypothesis draws the filters and pages (bounded and derandomized); the events are inserted by SQL,
half in time order and half shuffled, so that ids and timestamps agree in part only.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bemserver.crud.store import Store
from bemserver.events.models import LEVELS, Event, EventCount
from tests.helpers import create, sql_statements
from tests.timeseries.conftest import link_user_to_scope
from tests.timeseries_data.test_aggregate_properties import drawn

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DAYS = 6
EXAMPLES = 60


@dataclass
class World:
    scopes: dict[int, int]  # scope id -> campaign id
    campaigns: list[int]
    member_scope: int  # the only scope the user may read


def moments() -> st.SearchStrategy[dt.datetime]:
    """Midnights, round hours and odd moments across the events' days (and a little beyond)."""
    return st.one_of(
        st.integers(-1, DAYS + 1).map(lambda d: START + dt.timedelta(days=d)),
        st.integers(-24, 24 * (DAYS + 1)).map(lambda h: START + dt.timedelta(hours=h)),
        st.integers(0, DAYS * 86400).map(lambda s: START + dt.timedelta(seconds=s, microseconds=1)),
    )


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    where = draw(st.sampled_from(["campaign", "scope", "none"]))
    if where != "none":
        filters[f"{'campaign' if where == 'campaign' else 'campaign_scope'}_id"] = draw(st.integers(0, 2))
    level = draw(st.sampled_from(["level", "level_min", None]))
    if level is not None:
        filters[level] = draw(st.sampled_from(LEVELS))
    for bound in ("timestamp_min", "timestamp_max"):
        if draw(st.booleans()):
            filters[bound] = draw(moments())
    return {
        "filters": filters,
        "page": draw(st.integers(1, 4)),
        "page_size": draw(st.sampled_from([1, 2, 5, 17, 100])),
        "member": draw(st.booleans()),
        "sort": draw(st.sampled_from([None, None, "-timestamp", "level"])),
    }


CASES = drawn(cases(), EXAMPLES)


async def insert_events(engine: AsyncEngine, world: World, count: int, seed: int) -> None:
    chance = random.Random(seed)
    rows = [
        {
            "campaign_scope_id": chance.choice(list(world.scopes)),
            "category_id": 1,
            "timestamp": START
            + chance.choice(
                [
                    dt.timedelta(days=chance.randrange(DAYS)),  # midnights
                    dt.timedelta(seconds=chance.randrange(DAYS * 86400)),
                ]
            ),
            "source": "counts",
            "level": chance.choice(LEVELS),
        }
        for _ in range(count)
    ]
    in_order = sorted(rows[: count // 2], key=lambda row: row["timestamp"])
    shuffled = rows[count // 2 :]
    async with engine.begin() as connection:
        await connection.execute(insert(Event), in_order)
        for row in shuffled:  # one statement each: ids out of time order
            await connection.execute(insert(Event).values(**row))


@pytest.fixture
async def world(client, admin, user, campaign, scope, other_scope, foreign_scope, engine) -> World:
    group = await link_user_to_scope(client, admin.headers, user.id, scope["id"])
    await create(
        client, "/user_groups_by_campaigns/", admin.headers, user_group_id=group, campaign_id=campaign["id"]
    )
    scopes = {
        scope["id"]: campaign["id"],
        other_scope["id"]: campaign["id"],
        foreign_scope["id"]: foreign_scope["campaign_id"],
    }
    made = World(scopes, [campaign["id"], foreign_scope["campaign_id"]], scope["id"])
    await insert_events(engine, made, 400, seed=1)
    return made


def resolve(world: World, filters: dict[str, Any]) -> dict[str, Any]:
    """Drawn indexes to ids."""
    resolved = dict(filters)
    if "campaign_id" in filters:
        resolved["campaign_id"] = world.campaigns[filters["campaign_id"] % len(world.campaigns)]
    if "campaign_scope_id" in filters:
        resolved["campaign_scope_id"] = list(world.scopes)[filters["campaign_scope_id"]]
    return resolved


def expected(
    world: World, events: list[dict[str, Any]], filters: dict[str, Any], member: bool
) -> list[dict[str, Any]]:
    def keep(event: dict[str, Any]) -> bool:
        if member and event["campaign_scope_id"] != world.member_scope:
            return False
        if "campaign_id" in filters and world.scopes[event["campaign_scope_id"]] != filters["campaign_id"]:
            return False
        if "campaign_scope_id" in filters and event["campaign_scope_id"] != filters["campaign_scope_id"]:
            return False
        if "level" in filters and event["level"] != filters["level"]:
            return False
        if "level_min" in filters and LEVELS.index(event["level"]) < LEVELS.index(filters["level_min"]):
            return False
        if "timestamp_min" in filters and event["timestamp"] < filters["timestamp_min"]:
            return False
        return not ("timestamp_max" in filters and event["timestamp"] > filters["timestamp_max"])

    return [event for event in events if keep(event)]


def ordered(events: list[dict[str, Any]], sort: str | None) -> list[int]:
    if sort == "-timestamp":
        events = sorted(events, key=lambda event: event["id"])
        events = sorted(events, key=lambda event: event["timestamp"], reverse=True)
    elif sort == "level":
        events = sorted(events, key=lambda event: (LEVELS.index(event["level"]), event["id"]))
    else:
        events = sorted(events, key=lambda event: event["id"])
    return [event["id"] for event in events]


async def all_events(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Event.id, Event.campaign_scope_id, Event.level, Event.timestamp)
        )
        return [dict(row) for row in rows.mappings()]


async def check_every_case(client, admin, user, world: World, engine: AsyncEngine) -> None:
    events = await all_events(engine)
    for case in CASES:
        filters = resolve(world, case["filters"])
        caller = user if case["member"] else admin
        if case["member"] and (
            filters.get("campaign_scope_id", world.member_scope) != world.member_scope
            or filters.get("campaign_id", world.campaigns[0]) != world.campaigns[0]
        ):
            continue  # a filter naming what the user may not read is a 403 (tested elsewhere)
        params = {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in filters.items()
        }
        params |= {"page": case["page"], "page_size": case["page_size"]}
        if case["sort"]:
            params["sort"] = case["sort"]
        response = await client.get("/events/", params=params, headers=caller.headers)
        assert response.status_code == 200, (case, response.text)
        matches = ordered(expected(world, events, filters, case["member"]), case["sort"])
        first = (case["page"] - 1) * case["page_size"]
        got = [event["id"] for event in response.json()]
        assert got == matches[first : first + case["page_size"]], case
        assert orjson.loads(response.headers["X-Pagination"])["total"] == len(matches), case


async def test_pages_and_totals_are_the_plain_answers(client, admin, user, world, engine):
    await check_every_case(client, admin, user, world, engine)


async def test_after_deletes_updates_and_more_events_too(client, admin, user, world, engine):
    chance = random.Random(2)
    ids = [event["id"] for event in await all_events(engine)]
    async with engine.begin() as connection:
        await connection.execute(delete(Event).where(Event.id.in_(chance.sample(ids, 120))))
        for event_id in chance.sample(ids, 60):  # some are gone: no row updated
            await connection.execute(
                update(Event)
                .where(Event.id == event_id)
                .values(
                    timestamp=START + dt.timedelta(seconds=chance.randrange(DAYS * 86400)),
                    level=chance.choice(LEVELS),
                )
            )
    await insert_events(engine, world, 100, seed=3)
    await check_every_case(client, admin, user, world, engine)


async def test_the_counts_follow_the_events(client, admin, world, engine):
    """event_counts holds, per scope, level and UTC day, the events' number and bounds of their ids."""
    async with engine.connect() as connection:
        kept = {
            (row.campaign_scope_id, row.level, row.day): row
            for row in (await connection.execute(select(EventCount))).all()
            if row.count
        }
    actual: dict[tuple[int, str, dt.datetime], list[int]] = {}
    for event in await all_events(engine):
        day = event["timestamp"].astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        actual.setdefault((event["campaign_scope_id"], event["level"], day), []).append(event["id"])
    assert kept.keys() == actual.keys()
    for key, ids in actual.items():
        assert kept[key].count == len(ids)
        assert kept[key].min_id <= min(ids) and max(ids) <= kept[key].max_id


async def test_a_filtered_page_is_one_statement_that_reads_the_counts(client, admin, world, campaign):
    params = {"campaign_id": campaign["id"], "level_min": "WARNING", "timestamp_min": "2024-01-02T06:00:00Z"}
    await client.get("/events/", params=params, headers=admin.headers)
    with sql_statements() as statements:
        response = await client.get("/events/", params=params, headers=admin.headers)
    assert response.status_code == 200
    assert len(statements) == 2  # the caller, the page with its total
    assert "event_counts" in statements[1]


async def test_the_last_id_the_counts_allow_is_on_the_page(client, admin, scope, engine):
    """One event a day, in time order: the second page of one is exactly the bound of the search."""
    async with engine.begin() as connection:
        ids = [
            await connection.scalar(
                insert(Event)
                .values(
                    campaign_scope_id=scope["id"],
                    category_id=1,
                    timestamp=START + dt.timedelta(days=day, hours=12),
                    source="bound",
                    level="ERROR",
                )
                .returning(Event.id)
            )
            for day in range(4)
        ]
    params = {"campaign_scope_id": scope["id"], "timestamp_min": START.isoformat(), "page_size": 1}
    for page, event_id in enumerate(ids, start=1):
        response = await client.get("/events/", params=params | {"page": page}, headers=admin.headers)
        assert [event["id"] for event in response.json()] == [event_id]
        assert orjson.loads(response.headers["X-Pagination"])["total"] == 4


async def test_a_filtered_page_is_built_once_per_shape(client, admin, user, world, campaign, monkeypatch):
    """Other values of the same filters (campaign, level, time range, a location-free custom
    filter) reuse the compiled statement: nothing is built again, for admins and members alike."""
    built: list[str] = []
    original = Store._list_statement

    def counting(self: Store, *args: Any, **kwargs: Any) -> Any:
        built.append(self.resource.path)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_list_statement", counting)
    for who in (admin, user):
        for day in range(1, 5):
            params = {
                "campaign_id": campaign["id"],
                "level_min": LEVELS[day % len(LEVELS)],
                "timestamp_min": (START + dt.timedelta(days=day - 1, hours=day)).isoformat(),
                "timestamp_max": (START + dt.timedelta(days=day + 1, hours=3)).isoformat(),
            }
            response = await client.get("/events/", params=params, headers=who.headers)
            assert response.status_code == 200
            if day == 1:
                before = len(built)  # the first may compile the shape
        assert len(built) == before, f"built again for other values ({who.email})"
