"""GET /tasks/ (the catalogue, with defaults and schedules) and POST /tasks/run (queue one run)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from bemserver.auth.caller import CurrentCaller
from bemserver.campaigns.models import Campaign
from bemserver.db.engine import Session
from bemserver.http.errors import Forbidden, Unprocessable
from bemserver.http.openapi import error_responses
from bemserver.http.responses import JSONBytes, dumps
from bemserver.permissions import read_filter
from bemserver.tasks import schemas as s
from bemserver.tasks.jobs import crons
from bemserver.tasks.registry import catalogue
from bemserver.tasks.resources import checked_parameters, known_task
from bemserver.tasks.runs import queue_run

router = APIRouter(tags=["Task"])


@router.get(
    "/tasks/",
    operation_id="list_tasks",
    summary="List the tasks, their default parameters and schedules",
    response_model=list[s.Task],
    responses=error_responses(401),
)
async def list_tasks(request: Request, caller: CurrentCaller) -> Response:
    schedules = crons(request.app.state.settings)
    tasks = [
        {
            "name": name,
            "default_parameters": declared.default_parameters,
            "schedule": {f"{name}Scheduled": schedules[name]} if schedules.get(name) else {},
        }
        for name, declared in sorted(catalogue().items())
    ]
    return JSONBytes(dumps(tasks))


@router.post(
    "/tasks/run",
    status_code=204,
    operation_id="run_task",
    summary="Run a task once, in the background",
    responses=error_responses(401, 403, 422),
)
async def run_task(session: Session, caller: CurrentCaller, body: s.TaskRunRequest) -> Response:
    declared = known_task(body.task_name)
    checked_parameters(declared, body.parameters)
    if body.start_time >= body.end_time:
        raise Unprocessable(errors={"json": {"_schema": ["start_time must be before end_time"]}})
    campaign = select(Campaign.id, read_filter(Campaign, caller)).where(Campaign.id == body.campaign_id)
    found = (await session.execute(campaign)).one_or_none()
    if found is None:
        raise Unprocessable(errors={"json": {"campaign_id": ["Unknown campaign"]}})
    if not found[1]:
        raise Forbidden()
    run_id = await queue_run(
        session,
        task_name=declared.name,
        campaign_id=body.campaign_id,
        start=body.start_time,
        end=body.end_time,
        parameters=body.parameters,
        started_by=caller.id,
    )
    return Response(status_code=204, headers={"Location": f"/task_runs/{run_id}"})
