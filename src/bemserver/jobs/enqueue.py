"""Enqueue a job on the caller's connection, inside the caller's transaction.

The job row is written by procrastinate's own SQL function (`procrastinate_defer_jobs_v1`), on
the connection that writes the data causing the job: both commit together, and a rollback
enqueues nothing. Workers hear of the job through the NOTIFY that its insertion sends, which
PostgreSQL delivers at commit.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from sqlalchemy import Select, cast, func, literal_column, null, select, text
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.types import UserDefinedType

from bemserver.jobs.registry import declared_tasks

Target = AsyncSession | AsyncConnection | psycopg.AsyncConnection[Any]

_DEFER = (
    "SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW({queue}, {task}, 0, NULL, NULL, "
    "CAST({args} AS jsonb), NULL)::procrastinate_job_to_defer_v1]))[1]"
)
_DEFER_SQLALCHEMY = text(_DEFER.format(queue=":queue", task=":task", args=":args"))
_DEFER_PSYCOPG = _DEFER.format(queue="%(queue)s", task="%(task)s", args="%(args)s")


async def enqueue(connection: Target, task_name: str, /, **args: Any) -> int:
    """Queue one run of the declared task `task_name` with these keyword arguments (JSON
    values); returns the job's id. It is done when the caller's transaction commits.

    `connection` is a SQLAlchemy AsyncSession or AsyncConnection, or a psycopg AsyncConnection.
    """
    declaration = declared_tasks().get(task_name)
    if declaration is None:
        raise LookupError(f"No task named {task_name!r}")
    params = {"queue": declaration.queue, "task": task_name, "args": json.dumps(args)}
    if isinstance(connection, psycopg.AsyncConnection):
        cursor = await connection.execute(_DEFER_PSYCOPG, params)  # type: ignore[arg-type]
        row = await cursor.fetchone()
        job_id = row[0] if row else None
    else:
        job_id = await connection.scalar(_DEFER_SQLALCHEMY, params)
    assert isinstance(job_id, int)
    return job_id


class _JobToDefer(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "procrastinate_job_to_defer_v1"


def _sql_string(value: str) -> Any:
    """A task or queue name as an SQL literal (declared names, never request input)."""
    return literal_column("'" + value.replace("'", "''") + "'")


def deferred(task_name: str, arguments: Any) -> Any:
    """SQL queueing one run of the task with `arguments` (a jsonb SQL expression), for a statement
    of the caller's: a call of procrastinate_defer_jobs_v1, run wherever the statement evaluates it."""
    declaration = declared_tasks().get(task_name)
    if declaration is None:
        raise LookupError(f"No task named {task_name!r}")
    return func.procrastinate_defer_jobs_v1(array([_job(declaration.queue, task_name, arguments)]))


def _job(queue: str, task_name: str, arguments: Any) -> Any:
    fields = (_sql_string(queue), _sql_string(task_name), literal_column("0"), null(), null())
    return cast(func.row(*fields, arguments, null()), _JobToDefer())


async def enqueue_each(
    connection: AsyncSession | AsyncConnection, task_name: str, arguments: Select[Any]
) -> int:
    """Queue one run of the task per row of `arguments`, a SELECT of one jsonb column (each run's
    keyword arguments), in one statement whatever the number of rows; returns how many."""
    declaration = declared_tasks().get(task_name)
    if declaration is None:
        raise LookupError(f"No task named {task_name!r}")
    rows = arguments.subquery("rows")
    job = _job(declaration.queue, task_name, rows.c[0])
    jobs = select(func.array_agg(job)).select_from(rows).scalar_subquery()
    count = await connection.scalar(
        select(func.coalesce(func.cardinality(func.procrastinate_defer_jobs_v1(jobs)), 0))
    )
    return int(count or 0)
