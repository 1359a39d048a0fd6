"""A package's tasks, as an entry point of the `bemserver.tasks` group would add them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bemserver.tasks.checks import check_outliers
from bemserver.tasks.cleanup import cleanup
from bemserver.tasks.models import TaskRun
from bemserver.tasks.registry import TaskContext, business_task


class Broken(Exception):
    pass


@business_task("AlwaysFails")
async def always_fails(context: TaskContext) -> dict[str, Any]:
    raise Broken("This task always fails")


@business_task("CleanThenHang")
async def clean_then_hang(context: TaskContext) -> dict[str, Any]:
    """Cleanup and CheckOutliers (min_correctness_ratio 0.9), then, on the first attempt only,
    a file named by the `reached` parameter is made and the task hangs (for a kill -9)."""
    cleaned = await cleanup(context)
    checked = await check_outliers(context)
    await context.session.flush()
    attempts = await context.session.scalar(select(TaskRun.attempts).where(TaskRun.id == context.run_id))
    if attempts == 1:
        Path(context.parameters["reached"]).write_text(str(os.getpid()))
        await asyncio.sleep(3600)
    return {**cleaned, **checked}
