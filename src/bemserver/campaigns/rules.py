"""Who may see campaigns, scopes and their group links."""

from bemserver.campaigns.models import (
    Campaign,
    CampaignScope,
    UserGroupByCampaign,
    UserGroupByCampaignScope,
)
from bemserver.permissions import campaign_member, in_my_groups, rule, scope_member


def rules() -> None:
    rule(Campaign, campaign_member(Campaign.id))
    rule(CampaignScope, scope_member(CampaignScope.id))
    rule(UserGroupByCampaign, in_my_groups(UserGroupByCampaign.user_group_id))
    rule(UserGroupByCampaignScope, in_my_groups(UserGroupByCampaignScope.user_group_id))
