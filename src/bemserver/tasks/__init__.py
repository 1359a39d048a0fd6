"""Scheduled data-quality tasks: their catalogue, per-campaign schedules and visible runs.

docs/tasks.md tells what each task does, how schedules and runs work and how a package adds tasks.
"""

from bemserver.domain import Domain

# Last in the reference's tag order (Task, TaskByCampaign), followed by our TaskRun.
DOMAIN = Domain(
    "tasks",
    position=95,
    models=("bemserver.tasks.models",),
    routes=("bemserver.tasks.routes", "bemserver.tasks.resources"),
    rules="bemserver.tasks.rules",
    factories="tests.tasks.factories",
    tasks=("bemserver.tasks.jobs",),
)
