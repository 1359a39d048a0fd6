"""The procrastinate App on our database, with every declared task registered."""

from __future__ import annotations

from procrastinate import App, PsycopgConnector

from bemserver.db.database import normalize_url
from bemserver.jobs.registry import declared_schedules, declared_tasks
from bemserver.settings import Settings


def conninfo(database_url: str) -> str:
    """A libpq connection string (URI form) from any of our PostgreSQL URL forms."""
    return "postgresql://" + normalize_url(database_url).removeprefix("postgresql+psycopg://")


def make_app(database_url: str, *, pool_size: int = 4, settings: Settings | None = None) -> App:
    """An App whose connector opens at most `pool_size` connections (listening takes one more).
    With `settings`, the declared schedules are registered as periodic tasks (a worker of this
    App then defers their jobs at each tick).

    Nothing connects here: `async with app.open_async():` opens the pool.
    """
    connector = PsycopgConnector(
        conninfo=conninfo(database_url),
        min_size=1,
        max_size=max(pool_size, 2),
        kwargs={"options": "-c timezone=UTC"},
    )
    app = App(connector=connector)
    for declaration in declared_tasks().values():
        app.task(
            name=declaration.name,
            retry=declaration.retry or False,
            pass_context=declaration.pass_context,
            queue=declaration.queue,
        )(declaration.function)
    if settings is not None:
        for schedule in declared_schedules(settings):
            app.periodic_registry.register_task(
                task=app.tasks[schedule.task_name],
                cron=schedule.cron,
                periodic_id=schedule.periodic_id,
                configure_kwargs={"task_kwargs": dict(schedule.kwargs)},
            )
    return app
