"""POST /io/timeseries: the timeseries of a campaign from a CSV file (docs/io.md).

One row per timeseries, upserted by name within the campaign in the request's transaction (any
error stores nothing); the extra columns are property values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, File, Query
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Session
from bemserver.http.responses import JSONBytes
from bemserver.io import sites_sql, timeseries_sql
from bemserver.io.csvfile import (
    IMPORT_ROUTE,
    CsvRow,
    CsvTable,
    CsvUpload,
    UploadForm,
    check_import_campaign,
    check_may,
    parse_csv,
    property_cell,
    read_uploads,
    short,
)
from bemserver.structure import tree
from bemserver.structure.tree import Element
from bemserver.timeseries import models as t
from bemserver.timeseries.links import TIMESERIES_LINKS
from bemserver.units import UNDEFINED, UnitError, parse_unit

router = APIRouter(tags=["Input/Output"])

FILE = "timeseries_csv"
LIMITS = {"Name": 80, "Description": 500, "Unit": 20}
VALUE_LIMIT = 100


class TimeseriesCSVUploadFile(UploadForm):
    required_files: ClassVar[tuple[str, ...]] = (FILE,)
    timeseries_csv: CsvUpload = None


BRANCH = tree.SPACE.chain  # site > building > storey > space: a timeseries is linked to the deepest named
PLACES = (*BRANCH, tree.ZONE)  # the location columns, each named by its element's title ("Site")
REQUIRED = ("Campaign scope", "Name", "Description", "Unit", *(place.title for place in PLACES))


def _link(place: Element) -> type[Any]:
    """The place's timeseries_by_<element>s table."""
    return TIMESERIES_LINKS.tables[place.name]


@router.post(
    "/io/timeseries",
    operation_id="import_timeseries_csv",
    summary="Import timeseries from a CSV file",
    **IMPORT_ROUTE,
)
async def import_timeseries_csv(
    session: Session,
    caller: CurrentCaller,
    campaign_id: Annotated[int, Query()],
    files: Annotated[TimeseriesCSVUploadFile, File()],
) -> JSONBytes:
    contents = await read_uploads(files)
    await check_import_campaign(session, caller, campaign_id)
    writes = {t.Timeseries: ("create", "update"), t.TimeseriesPropertyData: ("create", "update")}
    check_may(caller, writes | {_link(place): ("create", "delete") for place in PLACES})
    await import_timeseries(session, campaign_id, parse_csv(FILE, contents[FILE]))
    return JSONBytes(None, status_code=201)


@dataclass
class Described:
    """A timeseries as the file describes it; a name repeated in the file merges, the later row winning."""

    line: int
    scope: str
    description: str | None
    unit: str
    places: dict[Element, int] = field(default_factory=dict)  # the deepest branch place and the zone
    values: dict[int, str] = field(default_factory=dict)  # timeseries property id -> value


async def import_timeseries(session: AsyncSession, campaign_id: int, table: CsvTable) -> None:
    property_columns = table.require(REQUIRED)
    found = await timeseries_sql.properties_named(session, property_columns)
    properties = table.properties(property_columns, found)
    scope_ids = await _scope_ids(session, campaign_id, table)
    place_ids = await _place_ids(session, campaign_id, table)
    described: dict[str, Described] = {}
    for row, places in zip(table.rows, place_ids, strict=True):
        name = row["Name"]
        item = Described(row.line, row["Campaign scope"], _description(table, row), _unit(table, row), places)
        for column, (property_id, value_type) in properties.items():
            value = property_cell(table, row, column, value_type, VALUE_LIMIT, f'Timeseries "{short(name)}"')
            if value is not None:
                item.values[property_id] = value
        previous = described.pop(name, None)
        if previous is not None:
            item.values = previous.values | item.values
        described[name] = item
    ids = await _upsert(session, campaign_id, table, described, scope_ids)
    for place in PLACES:
        pairs = [(ids[name], item.places[place]) for name, item in described.items() if place in item.places]
        await timeseries_sql.replace_links(session, _link(place), place.key, list(ids.values()), pairs)
    values = [
        (ids[name], pid, value) for name, item in described.items() for pid, value in item.values.items()
    ]
    await sites_sql.upsert_values(session, t.TimeseriesPropertyData, "timeseries_id", "property_id", values)


async def _scope_ids(session: AsyncSession, campaign_id: int, table: CsvTable) -> dict[str, int]:
    found = await timeseries_sql.scopes_named(
        session, campaign_id, {row["Campaign scope"] for row in table.rows}
    )
    for row in table.rows:
        if row["Campaign scope"] not in found:
            detail = f'Unknown campaign scope: "{short(row["Campaign scope"])}"'
            raise table.error(detail, row.line, "Campaign scope")
    return found


async def _place_ids(session: AsyncSession, campaign_id: int, table: CsvTable) -> list[dict[Element, int]]:
    """Each row's places to link: the deepest of site > building > storey > space named, and the zone."""
    for row in table.rows:
        for above, below in pairwise(BRANCH):
            if row[below.title] and not row[above.title]:
                detail = f'Missing {above.name} for {below.name} "{short(row[below.title])}"'
                raise table.error(detail, row.line, above.title)
    # Resolve the branch one level at a time: each level's names within its parent's id.
    parent_ids: list[int | None] = [campaign_id] * len(table.rows)
    paths: list[tuple[str, ...]] = [()] * len(table.rows)
    places: list[dict[Element, int]] = [{} for _ in table.rows]
    for place in BRANCH:
        wanted = [
            (parent, row[place.title]) if parent is not None and row[place.title] else None
            for row, parent in zip(table.rows, parent_ids, strict=True)
        ]
        paths = [(*path, row[place.title]) for path, row in zip(paths, table.rows, strict=True)]
        found = await _find(session, place, table, wanted, paths)
        parent_ids = [found.get(key) if key else None for key in wanted]
        for deepest, element_id in zip(places, parent_ids, strict=True):
            if element_id is not None:
                deepest.clear()
                deepest[place] = element_id
    zones = [(campaign_id, row["Zone"]) if row["Zone"] else None for row in table.rows]
    found = await _find(session, tree.ZONE, table, zones, [(row["Zone"],) for row in table.rows])
    for row_places, key in zip(places, zones, strict=True):
        if key:
            row_places[tree.ZONE] = found[key]
    return places


async def _find(
    session: AsyncSession,
    place: Element,
    table: CsvTable,
    wanted: list[tuple[int, str] | None],
    paths: list[tuple[str, ...]],
) -> dict[tuple[int, str], int]:
    """{(parent id, name): id} of the wanted elements; 422 naming the first one that does not exist."""
    keys = {key for key in wanted if key is not None}
    found = await sites_sql.find_ids(session, place.model, place.parent_fk, keys)
    for row, key, path in zip(table.rows, wanted, paths, strict=True):
        if key is not None and key not in found:
            detail = f'Unknown {place.name}: "{short("/".join(path))}"'
            raise table.error(detail, row.line, place.title)
    return found


async def _upsert(
    session: AsyncSession,
    campaign_id: int,
    table: CsvTable,
    described: dict[str, Described],
    scope_ids: dict[str, int],
) -> dict[str, int]:
    """Write the timeseries; {name: id}. An existing timeseries keeps its campaign scope."""
    existing = await timeseries_sql.timeseries_named(session, campaign_id, set(described))
    for name, item in described.items():
        if name in existing and existing[name][1] != scope_ids[item.scope]:
            problem = f'it is in campaign scope "{short(existing[name][2])}", which cannot change.'
            raise table.error(_cannot_create(name, problem), item.line, "Campaign scope")
    await timeseries_sql.update_timeseries(
        session,
        [
            (existing[name][0], item.description, item.unit)
            for name, item in described.items()
            if name in existing
        ],
    )
    new = [
        (name, scope_ids[item.scope], item.description, item.unit)
        for name, item in described.items()
        if name not in existing
    ]
    ids = {name: found[0] for name, found in existing.items()}
    ids.update(await timeseries_sql.insert_timeseries(session, campaign_id, new))
    return ids


def _checked_length(table: CsvTable, row: CsvRow, column: str) -> str:
    value = row[column]
    if column == "Name" and not value:
        raise table.error("Timeseries can't be created: empty name.", row.line, column)
    if len(value) > LIMITS[column]:
        problem = f"{column} longer than {LIMITS[column]} characters."
        raise table.error(_cannot_create(row["Name"], problem), row.line, column)
    return value


def _description(table: CsvTable, row: CsvRow) -> str | None:
    _checked_length(table, row, "Name")
    return _checked_length(table, row, "Description") or None


def _unit(table: CsvTable, row: CsvRow) -> str:
    """The unit symbol ("" for none), which must be known to the unit registry."""
    unit = row["Unit"].strip()
    if len(unit) > LIMITS["Unit"]:
        raise table.error(_cannot_create(row["Name"], "Unit longer than 20 characters."), row.line, "Unit")
    try:
        parse_unit(unit)
    except UnitError as exc:
        close = str(exc).removeprefix(UNDEFINED).strip()
        problem = f'undefined unit "{unit}".' + (f" {close}" if close else "")
        raise table.error(_cannot_create(row["Name"], problem), row.line, "Unit") from None
    return unit


def _cannot_create(name: str, problem: str) -> str:
    return f'Timeseries "{short(name)}" can\'t be created: {problem}'
