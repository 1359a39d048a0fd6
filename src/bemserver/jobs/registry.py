"""The task registry: every task the workers know, declared by the domains with `@task`.

A declaration only records the function; each procrastinate App (app.py) registers all of them
afresh, so that tests and processes can build as many Apps as they need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from procrastinate.retry import BaseRetryStrategy

from bemserver.jobs.retry import DEFAULT_RETRY

# The queue's own tasks; a domain lists its task modules in its Domain declaration (`tasks`).
BUILTIN_TASK_MODULES = ("bemserver.jobs.mail",)

DEFAULT_QUEUE = "default"

Function = TypeVar("Function", bound=Callable[..., Any])


@dataclass(frozen=True)
class TaskDeclaration:
    name: str
    function: Callable[..., Any]
    retry: BaseRetryStrategy | None
    pass_context: bool
    queue: str


TASKS: dict[str, TaskDeclaration] = {}


def task(
    name: str,
    *,
    retry: BaseRetryStrategy | None = DEFAULT_RETRY,
    pass_context: bool = False,
    queue: str = DEFAULT_QUEUE,
) -> Callable[[Function], Function]:
    """Declare an async function as the task `name` (the function itself is left unchanged).

    Its keyword arguments must be JSON values: they are stored in the job row. With
    `pass_context`, the function gets procrastinate's JobContext first, whose
    `additional_context["settings"]` holds the worker's Settings.
    """

    def declare(function: Function) -> Function:
        known = TASKS.get(name)
        if known is not None and known.function is not function:
            raise RuntimeError(f"Two tasks named {name!r}")
        TASKS[name] = TaskDeclaration(name, function, retry, pass_context, queue)
        return function

    return declare


@dataclass(frozen=True)
class Schedule:
    """A declared task deferred at each tick of `cron` (procrastinate's periodic tasks: the
    queue defers one job per task, `periodic_id` and tick, whatever the number of workers)."""

    task_name: str
    cron: str
    periodic_id: str
    kwargs: dict[str, Any]


ScheduleProvider = Callable[[Any], list[Schedule]]
SCHEDULE_PROVIDERS: list[ScheduleProvider] = []


def schedules(provider: ScheduleProvider) -> ScheduleProvider:
    """Declare a function `provider(settings) -> [Schedule, ...]`, called by each worker."""
    if provider not in SCHEDULE_PROVIDERS:
        SCHEDULE_PROVIDERS.append(provider)
    return provider


def declared_schedules(settings: Any) -> list[Schedule]:
    declared_tasks()
    return [schedule for provider in SCHEDULE_PROVIDERS for schedule in provider(settings)]


def declared_tasks() -> dict[str, TaskDeclaration]:
    """Every declaration, after importing the modules that make them (the domains' included)."""
    from bemserver.domain import discover

    modules = [*BUILTIN_TASK_MODULES, *(name for domain in discover() for name in domain.tasks)]
    for module in modules:
        importlib.import_module(module)
    return TASKS
