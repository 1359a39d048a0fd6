"""Documents of tasks, their per-campaign schedules and their runs; fields in the reference order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import AwareDT
from bemserver.http.fields import ItemId as Id

Period = Literal["second", "minute", "hour", "day", "week", "month", "year"]
Status = Literal["queued", "running", "succeeded", "failed"]
TaskName = Annotated[str, Field(min_length=1, max_length=80)]
# Wide enough for any schedule, narrow enough that a window stays within PostgreSQL's dates.
Offset = Annotated[int, Field(ge=-10_000, le=10_000)]
Parameters = dict[str, Any]


class Task(OutputSchema):
    name: str
    default_parameters: dict[str, Any]
    schedule: dict[str, str]


class TaskRunRequest(InputSchema):
    task_name: str
    campaign_id: Id
    start_time: AwareDT
    end_time: AwareDT
    parameters: Parameters = {}


class TaskByCampaign(OutputSchema):
    id: int
    is_enabled: bool
    parameters: Parameters
    offset_unit: Period
    task_name: str
    campaign_id: int
    start_offset: int
    end_offset: int


class TaskByCampaignPut(InputSchema):
    is_enabled: bool = True
    parameters: Parameters = {}
    offset_unit: Period = "day"
    start_offset: Offset = -1
    end_offset: Offset = 0


class TaskByCampaignWrite(TaskByCampaignPut):
    task_name: TaskName
    campaign_id: Id


class TaskByCampaignFilters(FilterSchema):
    campaign_id: Id | None = None
    task_name: str | None = None
    is_enabled: bool | None = None


class TaskRun(OutputSchema):
    id: int
    task_name: str
    campaign_id: int
    start_time: datetime
    end_time: datetime
    parameters: Parameters
    started_by: int | None = None
    status: Status
    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int
    result: dict[str, Any] | None = None
    error: str | None = None
    task_by_campaign_id: int | None = None
    scheduled_at: datetime | None = None


class TaskRunFilters(FilterSchema):
    task_name: str | None = None
    campaign_id: Id | None = None
    status: Status | None = None
    task_by_campaign_id: Id | None = None
