"""/events_by_sites/ … /events_by_zones/: the locations an event concerns (from the link factory).

/timeseries_by_events/ is declared in resources.py: a timeseries is not an element of the building
tree, so it does not fit the factory (which nests the element's chain and compares campaigns).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bemserver.campaigns.models import CampaignScope
from bemserver.events import models as m
from bemserver.structure.links import OwnerLinks, SameCampaign, link_resources

EVENT_LINKS = OwnerLinks(
    "event",
    m.Event,
    {
        "site": m.EventBySite,
        "building": m.EventByBuilding,
        "storey": m.EventByStorey,
        "space": m.EventBySpace,
        "zone": m.EventByZone,
    },
)


def event_campaign(event_id: Any) -> Any:
    """SQL: the campaign of the event's scope."""
    scope = select(m.Event.campaign_scope_id).where(m.Event.id == event_id).scalar_subquery()
    return select(CampaignScope.campaign_id).where(CampaignScope.id == scope).scalar_subquery()


RESOURCES = link_resources(
    EVENT_LINKS,
    plural="events",
    same_campaign=SameCampaign("Event and {element} must be in same campaign", owner_campaign=event_campaign),
)
