"""DownloadWeatherData: the weather of the named sites of the run's campaign.

Only the campaign's own sites are looked up (the reference looks a name up everywhere); a name
that is not one of them is an error of the run, naming the site and the campaign.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bemserver.permissions import read_filter
from bemserver.structure.models import Site
from bemserver.tasks.registry import TaskContext


class TaskError(Exception):
    """A run that cannot be done as asked: its message is the run's error."""


async def campaign_sites(context: TaskContext, names: list[str]) -> list[Any]:
    wanted = list(dict.fromkeys(names))
    rows = (
        await context.session.execute(
            select(Site.id, Site.name).where(
                Site.campaign_id == context.campaign.id,
                Site.name.in_(wanted),
                read_filter(Site, context.caller),
            )
        )
    ).all()
    found = {row.name: row for row in rows}
    for name in wanted:
        if name not in found:
            raise TaskError(f"Can't find site {name} in campaign {context.campaign.name}")
    return [found[name] for name in wanted]


async def download_weather_data(context: TaskContext) -> dict[str, Any]:
    sites = await campaign_sites(context, context.parameters["sites"])
    if not sites:
        return {"sites": 0}
    raise TaskError("The weather download service is not available on this server")
