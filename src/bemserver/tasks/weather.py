"""DownloadWeatherData: the weather of the named sites of the run's campaign.

Only the campaign's own sites are looked up (the reference looks a name up everywhere); a name
that is not one of them is an error of the run, naming the site and the campaign.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bemserver.http.errors import ApiError
from bemserver.permissions import read_filter
from bemserver.structure.models import Site
from bemserver.tasks.registry import TaskContext
from bemserver.weather.download import download_weather_for_site


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
    """Each site's download replaces its Clean data of the window; the run's unit of work holds
    them all, so a site that fails leaves every site's data as it was."""
    sites = await campaign_sites(context, context.parameters["sites"])
    points = 0
    for site in sites:
        try:
            points += await download_weather_for_site(
                context.session,
                context.caller,
                site.id,
                context.start,
                context.end,
                context.parameters["forecast"],
                settings=context.settings,
            )
        except ApiError as error:
            detail = error.message or str(error.errors or "") or type(error).__name__
            raise TaskError(f"Site {site.name}: {detail}") from error
    return {"sites": len(sites), "points": points}
