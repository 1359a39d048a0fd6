"""The building model: readable by campaign members, written by admins."""

from bemserver.permissions import campaign_member, everyone, readable_through, rule
from bemserver.structure import models as s


def rules() -> None:
    for shared in (
        s.StructuralElementProperty,
        s.SiteProperty,
        s.BuildingProperty,
        s.StoreyProperty,
        s.SpaceProperty,
        s.ZoneProperty,
    ):
        rule(shared, everyone)
    rule(s.Site, campaign_member(s.Site.campaign_id))
    rule(s.Zone, campaign_member(s.Zone.campaign_id))
    rule(s.Building, readable_through(s.Building.site_id, s.Site))
    rule(s.Storey, readable_through(s.Storey.building_id, s.Building))
    rule(s.Space, readable_through(s.Space.storey_id, s.Storey))
    rule(s.SitePropertyData, readable_through(s.SitePropertyData.site_id, s.Site))
    rule(s.BuildingPropertyData, readable_through(s.BuildingPropertyData.building_id, s.Building))
    rule(s.StoreyPropertyData, readable_through(s.StoreyPropertyData.storey_id, s.Storey))
    rule(s.SpacePropertyData, readable_through(s.SpacePropertyData.space_id, s.Space))
    rule(s.ZonePropertyData, readable_through(s.ZonePropertyData.zone_id, s.Zone))
