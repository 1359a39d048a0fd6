"""/tasks_by_campaigns/ (the reference's, generic CRUD with ETags) and /task_runs/ (read-only)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign
from bemserver.crud import Hooks, Resource
from bemserver.crud.resource import Item
from bemserver.http.errors import Unprocessable
from bemserver.http.validation import validation_errors
from bemserver.tasks import models as m
from bemserver.tasks import schemas as s
from bemserver.tasks.registry import BusinessTask, catalogue


def known_task(name: str) -> BusinessTask:
    declared = catalogue().get(name)
    if declared is None:
        raise Unprocessable("Unknown task")
    return declared


def checked_parameters(declared: BusinessTask, parameters: dict[str, Any] | None) -> None:
    try:
        declared.parse(parameters)
    except ValidationError as exc:
        located = [{**error, "loc": ("body", "parameters", *error["loc"])} for error in exc.errors()]
        raise Unprocessable(errors=validation_errors(located)) from None


async def _valid_schedule(_: AsyncSession, __: Caller, values: Item, current: Item | None) -> Item:
    """The task must be known and the parameters its own (the reference checks neither)."""
    declared = known_task(values.get("task_name") or (current or {}).get("task_name", ""))
    checked_parameters(declared, values.get("parameters"))
    return values


TASKS_BY_CAMPAIGNS = Resource(
    "/tasks_by_campaigns/",
    m.TaskByCampaign,
    s.TaskByCampaign,
    tag="TaskByCampaign",
    name="task_by_campaign",
    create=s.TaskByCampaignWrite,
    update=s.TaskByCampaignPut,
    filters=s.TaskByCampaignFilters,
    refs={"campaign_id": Campaign},
    hooks=Hooks(before_write=_valid_schedule),
)

TASK_RUNS = Resource(
    "/task_runs/",
    m.TaskRun,
    s.TaskRun,
    tag="TaskRun",
    name="task_run",
    filters=s.TaskRunFilters,
    refs={"campaign_id": Campaign},
    paginate=True,
    etag=False,
    delete=False,
    summary="Task runs",
)

RESOURCES = (TASKS_BY_CAMPAIGNS, TASK_RUNS)
