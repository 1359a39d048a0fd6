"""/timeseries_by_sites/ … /timeseries_by_zones/: which locations a timeseries belongs to.
Association resources (no ETag, no PUT) whose items carry their location documents read-only.
"""

from __future__ import annotations

from bemserver.structure.links import OwnerLinks, SameCampaign, link_resources
from bemserver.timeseries import models as m

TIMESERIES_LINKS = OwnerLinks(
    "timeseries",
    m.Timeseries,
    {
        "site": m.TimeseriesBySite,
        "building": m.TimeseriesByBuilding,
        "storey": m.TimeseriesByStorey,
        "space": m.TimeseriesBySpace,
        "zone": m.TimeseriesByZone,
    },
)

RESOURCES = link_resources(
    TIMESERIES_LINKS,
    same_campaign=SameCampaign("The timeseries and the {element} belong to different campaigns."),
)
