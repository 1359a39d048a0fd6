"""POST /io/sites: the building model of a campaign from CSV files.

Up to five files (sites, buildings, storeys, spaces, zones), imported in that order in the request's
transaction: any error stores nothing. Each row is upserted by name within its parent; the columns
after the required ones are property names, whose non-empty cells set the element's property values.
The CSV formats are described for users in docs/io.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, File, Query
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver import permissions
from bemserver.auth.caller import Caller, CurrentCaller
from bemserver.db.engine import Session
from bemserver.db.types import valid_property_value
from bemserver.http.errors import Forbidden
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes
from bemserver.io import sites_sql
from bemserver.io.csvfile import (
    CsvRow,
    CsvTable,
    CsvUpload,
    UploadForm,
    check_campaign,
    number_text,
    parse_csv,
    read_uploads,
)
from bemserver.structure import models as s

router = APIRouter(tags=["Input/Output"])


class SitesCSVUploadFile(UploadForm):
    sites_csv: CsvUpload = None
    buildings_csv: CsvUpload = None
    storeys_csv: CsvUpload = None
    spaces_csv: CsvUpload = None
    zones_csv: CsvUpload = None


@dataclass(frozen=True)
class Level:
    """One kind of structural element and the CSV file that describes it."""

    file: str  # the form field
    label: str  # "Site": in messages, and the column that names it in the files below
    model: type[Any]
    parent_fk: str  # the column to the parent: campaign_id, site_id...
    ancestors: tuple[Level, ...]  # the levels its file names in parent columns, top first
    enabled: type[Any]  # the <element>_properties table: properties that apply to this level
    values: type[Any]  # the <element>_property_data table

    @property
    def element(self) -> str:
        return self.label.lower()


SITE = Level("sites_csv", "Site", s.Site, "campaign_id", (), s.SiteProperty, s.SitePropertyData)
BUILDING = Level(
    "buildings_csv", "Building", s.Building, "site_id", (SITE,), s.BuildingProperty, s.BuildingPropertyData
)
STOREY = Level(
    "storeys_csv",
    "Storey",
    s.Storey,
    "building_id",
    (SITE, BUILDING),
    s.StoreyProperty,
    s.StoreyPropertyData,
)
SPACE = Level(
    "spaces_csv",
    "Space",
    s.Space,
    "storey_id",
    (SITE, BUILDING, STOREY),
    s.SpaceProperty,
    s.SpacePropertyData,
)
ZONE = Level("zones_csv", "Zone", s.Zone, "campaign_id", (), s.ZoneProperty, s.ZonePropertyData)
LEVELS = (SITE, BUILDING, STOREY, SPACE, ZONE)  # import order: parents first

OWN_COLUMNS = ("Name", "Description", "IFC_ID")
EXPECTED = {"integer": "an integer", "float": "a number", "boolean": "true or false"}


@router.post(
    "/io/sites",
    status_code=201,
    operation_id="import_sites_csv",
    summary="Import sites, buildings, storeys, spaces and zones from CSV files",
    response_class=JSONBytes,
    response_model=None,
    responses={
        201: {"description": "Imported", "content": {"application/json": {"schema": {"type": "null"}}}},
        **error_responses(401, 403, 422),
    },
)
async def import_sites(
    session: Session,
    caller: CurrentCaller,
    campaign_id: Annotated[int, Query()],
    files: Annotated[SitesCSVUploadFile, File()],
) -> JSONBytes:
    contents = await read_uploads(files)
    await check_campaign(session, caller, campaign_id)
    levels = [level for level in LEVELS if level.file in contents] or [SITE]
    _check_write_rights(caller, levels)
    tables = [
        (level, parse_csv(level.file, contents[level.file])) for level in levels if level.file in contents
    ]
    for level, table in tables:
        await import_level(session, campaign_id, level, table)
    return JSONBytes(None, status_code=201)


def _check_write_rights(caller: Caller, levels: list[Level]) -> None:
    """403 unless the caller may create and update the elements and values of these levels.

    Writing the structure is for admins only: no rule lets anyone else write, so no row is checked.
    Should a rule ever let non-admins write some rows, those written here must be checked too.
    """
    for level in levels:
        for model in (level.model, level.values):
            if not (permissions.may(model, caller, "create") and permissions.may(model, caller, "update")):
                raise Forbidden()


@dataclass
class Element:
    """A row to upsert; repeated names within a parent merge, the later row winning."""

    description: str | None
    ifc_id: str | None
    values: dict[int, str] = field(default_factory=dict)  # <element>_properties id -> value


async def import_level(session: AsyncSession, campaign_id: int, level: Level, table: CsvTable) -> None:
    parent_columns = [ancestor.label for ancestor in level.ancestors]
    property_columns = table.require([*parent_columns, *OWN_COLUMNS])
    properties = await _properties(session, level, table, property_columns)
    parent_ids = await _parent_ids(session, campaign_id, level, table)
    elements: dict[sites_sql.Key, Element] = {}
    for row, parent_id in zip(table.rows, parent_ids, strict=True):
        name = row["Name"]
        _check_length(level, table, row, "Name", name)
        element = Element(
            _check_length(level, table, row, "Description", row["Description"]) or None,
            _check_length(level, table, row, "IFC_ID", row["IFC_ID"]) or None,
        )
        for column, (property_id, value_type) in properties.items():
            value = _property_value(level, table, row, column, value_type)
            if value is not None:
                element.values[property_id] = value
        previous = elements.pop((parent_id, name), None)
        if previous is not None:
            element.values = previous.values | element.values
        elements[(parent_id, name)] = element
    ids = await sites_sql.upsert_elements(
        session,
        level.model,
        level.parent_fk,
        [(pid, name, e.description, e.ifc_id) for (pid, name), e in elements.items()],
    )
    await sites_sql.upsert_values(
        session,
        level.values,
        f"{level.element}_id",
        f"{level.element}_property_id",
        [(ids[key], pid, value) for key, e in elements.items() for pid, value in e.values.items()],
    )


async def _properties(
    session: AsyncSession, level: Level, table: CsvTable, columns: list[str]
) -> dict[str, tuple[int, str]]:
    """{column: (<element>_properties id, value type)}; 422 for a column that is no property of the level."""
    found = await sites_sql.enabled_properties(session, level.enabled, columns)
    for column in columns:
        if column not in found:
            raise table.error(f'Unknown property: "{column}"', table.header_line, column)
    return found


async def _parent_ids(session: AsyncSession, campaign_id: int, level: Level, table: CsvTable) -> list[int]:
    """The parent id of each row, resolving the named ancestors one level at a time."""
    parent_ids = [campaign_id] * len(table.rows)
    paths: list[tuple[str, ...]] = [()] * len(table.rows)
    for ancestor in level.ancestors:
        names = [row[ancestor.label] for row in table.rows]
        paths = [(*path, name) for path, name in zip(paths, names, strict=True)]
        keys = list(zip(parent_ids, names, strict=True))
        found = await sites_sql.find_ids(session, ancestor.model, ancestor.parent_fk, set(keys))
        for row, key, path in zip(table.rows, keys, paths, strict=True):
            if key not in found:
                detail = f'Unknown {ancestor.element}: "{"/".join(path)}"'
                raise table.error(detail, row.line, ancestor.label)
        parent_ids = [found[key] for key in keys]
    return parent_ids


def _check_length(level: Level, table: CsvTable, row: CsvRow, column: str, value: str) -> str:
    """The value, if it fits its database column (and a name is not empty)."""
    limit = level.model.__table__.c[column.lower()].type.length
    if column == "Name" and not value:
        raise table.error(f"{level.label} can't be created: empty name.", row.line, column)
    if len(value) > limit:
        problem = f"{column} longer than {limit} characters."
        raise table.error(
            f'{level.label} "{_short(row["Name"])}" can\'t be created: {problem}', row.line, column
        )
    return value


def _property_value(level: Level, table: CsvTable, row: CsvRow, column: str, value_type: str) -> str | None:
    """The cell as a property value of that type, or None for an empty cell (left unchanged)."""
    value = row[column]
    if not value.strip():
        return None
    if value_type in ("integer", "float"):
        value = number_text(value)
    elif value_type == "boolean" and value.strip().lower() in ("true", "false"):
        value = value.strip().lower()
    limit = level.values.__table__.c.value.type.length
    problem = None
    if value_type in EXPECTED and not valid_property_value(value_type, value):
        problem = f'"{_short(value)}" is not {EXPECTED[value_type]}.'
    elif len(value) > limit:
        problem = f"longer than {limit} characters."
    if problem:
        detail = f'{level.label} "{row["Name"]}" property "{column}" can\'t be created: {problem}'
        raise table.error(detail, row.line, column)
    return value


def _short(text: str, size: int = 40) -> str:
    """Text quoted in a message, cut if long."""
    return text if len(text) <= size else text[:size] + "..."
