"""The catalogue of tasks: the built-in ones and those other packages add through entry points.

A task is an async function `run(context) -> result` (a JSON object summing up what it did),
declared with `@business_task(name, parameters=Model, schedule="cron")`. Another Python package
adds tasks by naming a module in the `bemserver.tasks` entry point group of its metadata:

    [project.entry-points."bemserver.tasks"]
    my_tasks = "my_package.tasks"

The module is imported once, and its `@business_task` declarations join the catalogue.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.settings import Settings

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "bemserver.tasks"
BUILTIN_MODULES = ("bemserver.tasks.builtin",)


class AnyParameters(BaseModel):
    """Parameters of a task that declares no model: any JSON object."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class TaskContext:
    """What a task runs with: its unit of work, who runs it, the campaign, the window in the
    campaign's timezone, its parameters (defaults merged), the settings and the run's id."""

    session: AsyncSession
    caller: Caller
    campaign: Campaign
    start: datetime
    end: datetime
    parameters: dict[str, Any]
    settings: Settings
    run_id: int
    database: Any = None  # the worker's Database, for work split across connections


TaskFunction = Callable[[TaskContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class BusinessTask:
    name: str
    function: TaskFunction
    parameters: type[BaseModel]
    schedule: str | None  # default cron; None: not scheduled unless a setting says so

    @property
    def default_parameters(self) -> dict[str, Any]:
        return {
            name: field.get_default(call_default_factory=True)
            for name, field in self.parameters.model_fields.items()
            if not field.is_required()
        }

    def parse(self, parameters: dict[str, Any] | None) -> dict[str, Any]:
        """The parameters with the defaults filled in; raises pydantic's ValidationError."""
        return self.parameters.model_validate(parameters or {}).model_dump(mode="json")


CATALOGUE: dict[str, BusinessTask] = {}
_loaded = False


def business_task(
    name: str, *, parameters: type[BaseModel] = AnyParameters, schedule: str | None = None
) -> Callable[[TaskFunction], TaskFunction]:
    def declare(function: TaskFunction) -> TaskFunction:
        known = CATALOGUE.get(name)
        if known is not None and known.function is not function:
            raise RuntimeError(f"Two tasks named {name!r}")
        CATALOGUE[name] = BusinessTask(name, function, parameters, schedule)
        return function

    return declare


def catalogue() -> dict[str, BusinessTask]:
    """Every task, built-in and added by packages (a package that fails to load is logged)."""
    global _loaded
    if not _loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                entry.load()
            except Exception:
                logger.exception("The tasks of %s (%s) could not be loaded", entry.name, entry.value)
        _loaded = True
    return CATALOGUE
