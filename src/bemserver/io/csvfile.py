"""What a CSV import endpoint needs to read its request: the multipart body (`UploadForm`,
`CsvUpload`, `read_uploads`, which enforces `required_files` as FastAPI does not), the campaign
(`check_import_campaign`: 422 "Unknown campaign ID." where other routes answer 404), the table
(`parse_csv`: UTF-8, UTF-16 with BOM or Windows-1252; `,` `;` or tab) and cells, with 422s naming
file, line and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from bemserver import permissions
from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign
from bemserver.db.types import valid_property_value
from bemserver.http import csvtext
from bemserver.http.errors import Forbidden, Unprocessable
from bemserver.http.fields import is_database_id
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes

CONTENT_ERROR = "Invalid CSV file content: "
MAX_FILE_BYTES = 64 * 1024 * 1024

# The keyword arguments of an import route, besides its path, operation_id and summary.
IMPORT_ROUTE: dict[str, Any] = {
    "status_code": 201,
    "response_class": JSONBytes,
    "response_model": None,
    "responses": {
        201: {"description": "Imported", "content": {"application/json": {"schema": {"type": "null"}}}},
        **error_responses(401, 403, 422),
    },
}


# Any value gets through FastAPI's validation (a file or a text field); read_uploads tells them apart.
CsvUpload = Annotated[Any, WithJsonSchema({"type": "string", "format": "binary"})]


def _form_schema(schema: dict[str, Any], model: type[UploadForm]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        prop.pop("default", None)
    if model.required_files:
        schema["required"] = list(model.required_files)
    schema["additionalProperties"] = False


class UploadForm(BaseModel):
    """Base of a multipart body of CSV files; an unknown field is a 422 naming it and the expected
    ones (the reference ignored it and imported nothing)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_form_schema)  # type: ignore[typeddict-item]
    required_files: ClassVar[tuple[str, ...]] = ()


async def read_uploads(files: UploadForm) -> dict[str, bytes]:
    """The uploaded files' contents by field name, in declaration order; absent optional files left out."""
    errors: dict[str, list[str]] = {}
    contents: dict[str, bytes] = {}
    expected = ", ".join(type(files).model_fields)
    for name in files.model_extra or {}:
        errors[name] = [f"Unknown field. Expected: {expected}."]
    for name in type(files).model_fields:
        value = getattr(files, name)
        if value is None:
            if name in type(files).required_files:
                errors[name] = ["Missing data for required field."]
        elif not isinstance(value, UploadFile):
            errors[name] = ["Not a file."]
        else:
            data = await value.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                errors[name] = [f"File larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB."]
            contents[name] = data
    if errors:
        raise Unprocessable(errors={"files": errors})
    return contents


async def check_import_campaign(session: AsyncSession, caller: Caller, campaign_id: int) -> None:
    """The campaign an import writes to: 422 when it does not exist, 403 when the caller may not read it."""
    readable = None
    if is_database_id(campaign_id):  # beyond, no row can match (and PostgreSQL would refuse the value)
        readable = await session.scalar(
            select(permissions.read_filter(Campaign, caller)).where(Campaign.id == campaign_id)
        )
    if readable is None:
        raise Unprocessable(errors={"query": {"campaign_id": ["Unknown campaign ID."]}})
    if not readable:
        raise Forbidden()


def check_may(caller: Caller, writes: Mapping[type[Any], Sequence[str]]) -> None:
    """403 unless the caller may do these operations on these tables. Imports are for admins only:
    no rule lets anyone else write, so no row is checked (should one ever, rows must be)."""
    if not all(
        permissions.may(model, caller, operation) for model, ops in writes.items() for operation in ops
    ):
        raise Forbidden()


class CsvError(Unprocessable):
    """422: "Invalid CSV file content: <file> line <n>, column <c>: <detail>".

    `errors` repeats it by file ({"files": {"sites_csv": ["line 3, column Site: ..."]}}) so that clients
    listing validation errors per field show it too.
    """

    def __init__(self, file: str, detail: str, line: int | None = None, column: str | None = None) -> None:
        where = ", ".join(
            part for part in (f"line {line}" if line else "", f"column {column}" if column else "") if part
        )
        located = f"{where}: {detail}" if where else detail
        super().__init__(
            f"{CONTENT_ERROR}{file}{' ' if where else ': '}{located}", {"files": {file: [located]}}
        )
        self.file, self.detail, self.line, self.column = file, detail, line, column


def decode(file: str, data: bytes) -> tuple[str, str]:
    """(text, encoding name), as the shared reader decodes (http/csvtext.py)."""
    try:
        return csvtext.decode(data)
    except csvtext.CsvProblem as problem:
        raise CsvError(file, problem.detail, problem.line, problem.column) from None


detect_separator = csvtext.detect_separator


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int  # the physical line where the record starts (the header is line 1, usually)
    cells: dict[str, str]  # column name -> cell, "" for a missing trailing cell

    def __getitem__(self, column: str) -> str:
        return self.cells[column]


@dataclass
class CsvTable:
    file: str  # the form field, e.g. "sites_csv"
    encoding: str
    separator: str
    columns: list[str]  # header names, stripped of surrounding blanks
    header_line: int
    rows: list[CsvRow] = field(default_factory=list)

    def error(self, detail: str, line: int | None = None, column: str | None = None) -> CsvError:
        return CsvError(self.file, detail, line, column)

    def require(self, required: Sequence[str]) -> list[str]:
        """Check the required columns; return the other columns, in header order."""
        missing = [name for name in required if name not in self.columns]
        if missing:
            raise self.error(f"Missing columns: {missing}", self.header_line)
        return [name for name in self.columns if name not in required]

    def properties(self, columns: list[str], found: dict[str, Any]) -> dict[str, Any]:
        """`found`, the properties named by the extra `columns`; 422 for a column it lacks."""
        for column in columns:
            if column not in found:
                raise self.error(f'Unknown property: "{column}"', self.header_line, column)
        return found


def parse_csv(file: str, data: bytes) -> CsvTable:
    """Decode and split a CSV file. Blank lines and rows of empty cells are skipped; columns without a
    header name are dropped if all their cells are empty (spreadsheet leftovers), else refused."""
    try:
        source = csvtext.read_text(data)
        records = csvtext.records(source.reader())
        header = next(records, None)
        if header is None:
            raise CsvError(file, "Empty CSV file")
        header_line, header_cells = header
        columns = csvtext.header_names(header_cells, header_line)
        table = CsvTable(
            file, source.encoding, source.separator, [name for name in columns if name], header_line
        )
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            values: dict[str, str] = {}
            for position, cell in enumerate(cells):
                name = columns[position] if position < len(columns) else ""
                if name:
                    values[name] = cell
                elif cell.strip():
                    raise table.error(
                        f'Value "{cell[:40]}" in column {position + 1}, which has no name in the header', line
                    )
            for name in table.columns:
                values.setdefault(name, "")
            table.rows.append(CsvRow(line, values))
    except csvtext.CsvProblem as problem:
        raise CsvError(file, problem.detail, problem.line, problem.column) from None
    return table


number_text = csvtext.number_text


EXPECTED = {"integer": "an integer", "float": "a number", "boolean": "true or false"}


def property_cell(
    table: CsvTable, row: CsvRow, column: str, value_type: str, limit: int, subject: str
) -> str | None:
    """The cell as a property value of that type (decimal comma, booleans in any case), None if
    empty (left unchanged); a bad value is a 422 naming `subject` (`Site "Main"`)."""
    value = row[column]
    if not value.strip():
        return None
    if value_type in ("integer", "float"):
        value = number_text(value)
    elif value_type == "boolean" and value.strip().lower() in ("true", "false"):
        value = value.strip().lower()
    problem = None
    if value_type in EXPECTED and not valid_property_value(value_type, value):
        problem = f'"{short(value)}" is not {EXPECTED[value_type]}.'
    elif len(value) > limit:
        problem = f"longer than {limit} characters."
    if problem:
        raise table.error(f'{subject} property "{column}" can\'t be created: {problem}', row.line, column)
    return value


def short(text: str, size: int = 40) -> str:
    """Text quoted in a message, cut if long."""
    return text if len(text) <= size else text[:size] + "..."
