"""POST /io/sites: the building model of a campaign from up to five CSV files (docs/io.md).

Imported parents first, in the request's transaction (any error stores nothing); rows upserted by
name within their parent, the extra columns being property values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, File, Query
from pydantic import create_model
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import CurrentCaller
from bemserver.db.engine import Session
from bemserver.http.responses import JSONBytes
from bemserver.io import sites_sql
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

router = APIRouter(tags=["Input/Output"])


def csv_field(element: Element) -> str:
    """The form field of an element type's file: `sites_csv`..."""
    return f"{element.plural}_csv"


SitesCSVUploadFile = create_model(
    "SitesCSVUploadFile",
    __base__=UploadForm,
    **{csv_field(element): (CsvUpload, None) for element in tree.ELEMENTS},
)

OWN_COLUMNS = ("Name", "Description", "IFC_ID")


@router.post(
    "/io/sites",
    operation_id="import_sites_csv",
    summary="Import sites, buildings, storeys, spaces and zones from CSV files",
    **IMPORT_ROUTE,
)
async def import_sites(
    session: Session,
    caller: CurrentCaller,
    campaign_id: Annotated[int, Query()],
    files: Annotated[SitesCSVUploadFile, File()],
) -> JSONBytes:
    contents = await read_uploads(files)
    await check_import_campaign(session, caller, campaign_id)
    elements = [element for element in tree.ELEMENTS if csv_field(element) in contents] or [tree.SITE]
    models = [model for element in elements for model in (element.model, element.property_data_model)]
    check_may(caller, dict.fromkeys(models, ("create", "update")))
    tables = [
        (element, parse_csv(csv_field(element), contents[csv_field(element)]))
        for element in elements
        if csv_field(element) in contents
    ]
    for element, table in tables:
        await import_elements(session, campaign_id, element, table)
    return JSONBytes(None, status_code=201)


@dataclass
class ElementRow:
    """A row to upsert; repeated names within a parent merge, the later row winning."""

    description: str | None
    ifc_id: str | None
    values: dict[int, str] = field(default_factory=dict)  # <element>_properties id -> value


async def import_elements(session: AsyncSession, campaign_id: int, element: Element, table: CsvTable) -> None:
    """Upsert the elements of one type, and their property values, from their file."""
    parent_columns = [ancestor.title for ancestor in element.ancestors]
    property_columns = table.require([*parent_columns, *OWN_COLUMNS])
    found = await sites_sql.enabled_properties(session, element.property_model, property_columns)
    properties = table.properties(property_columns, found)
    value_limit = element.property_data_model.__table__.c.value.type.length
    parent_ids = await _parent_ids(session, campaign_id, element, table)
    rows: dict[sites_sql.Key, ElementRow] = {}
    for row, parent_id in zip(table.rows, parent_ids, strict=True):
        name = row["Name"]
        _check_length(element, table, row, "Name", name)
        described = ElementRow(
            _check_length(element, table, row, "Description", row["Description"]) or None,
            _check_length(element, table, row, "IFC_ID", row["IFC_ID"]) or None,
        )
        for column, (property_id, value_type) in properties.items():
            value = property_cell(table, row, column, value_type, value_limit, f'{element.title} "{name}"')
            if value is not None:
                described.values[property_id] = value
        previous = rows.pop((parent_id, name), None)
        if previous is not None:
            described.values = previous.values | described.values
        rows[(parent_id, name)] = described
    ids = await sites_sql.upsert_elements(
        session,
        element.model,
        element.parent_fk,
        [(pid, name, e.description, e.ifc_id) for (pid, name), e in rows.items()],
    )
    await sites_sql.upsert_values(
        session,
        element.property_data_model,
        element.key,
        f"{element.name}_property_id",
        [(ids[key], pid, value) for key, e in rows.items() for pid, value in e.values.items()],
    )


async def _parent_ids(
    session: AsyncSession, campaign_id: int, element: Element, table: CsvTable
) -> list[int]:
    """The parent id of each row, resolving the named ancestors one level at a time."""
    parent_ids = [campaign_id] * len(table.rows)
    paths: list[tuple[str, ...]] = [()] * len(table.rows)
    for ancestor in element.ancestors:
        names = [row[ancestor.title] for row in table.rows]
        paths = [(*path, name) for path, name in zip(paths, names, strict=True)]
        keys = list(zip(parent_ids, names, strict=True))
        found = await sites_sql.find_ids(session, ancestor.model, ancestor.parent_fk, set(keys))
        for row, key, path in zip(table.rows, keys, paths, strict=True):
            if key not in found:
                detail = f'Unknown {ancestor.name}: "{"/".join(path)}"'
                raise table.error(detail, row.line, ancestor.title)
        parent_ids = [found[key] for key in keys]
    return parent_ids


def _check_length(element: Element, table: CsvTable, row: CsvRow, column: str, value: str) -> str:
    """The value, if it fits its database column (and a name is not empty)."""
    limit = element.model.__table__.c[column.lower()].type.length
    if column == "Name" and not value:
        raise table.error(f"{element.title} can't be created: empty name.", row.line, column)
    if len(value) > limit:
        problem = f"{column} longer than {limit} characters."
        raise table.error(
            f'{element.title} "{short(row["Name"])}" can\'t be created: {problem}', row.line, column
        )
    return value
