"""/campaigns/, /campaign_scopes/ and the links giving user groups access to them."""

from bemserver.campaigns import models, schemas
from bemserver.crud import Resource
from bemserver.users.models import UserGroup

CAMPAIGNS = Resource(
    "/campaigns/",
    models.Campaign,
    schemas.Campaign,
    tag="Campaign",
    name="campaign",
    create=schemas.CampaignWrite,
    update=schemas.CampaignWrite,
    filters=schemas.CampaignFilters,
    sort=("name",),
)

USER_GROUPS_BY_CAMPAIGNS = Resource(
    "/user_groups_by_campaigns/",
    models.UserGroupByCampaign,
    schemas.UserGroupByCampaign,
    tag="UserGroupByCampaign",
    name="user_group_by_campaign",
    create=schemas.UserGroupByCampaignWrite,
    filters=schemas.UserGroupByCampaignFilters,
    refs={"campaign_id": models.Campaign, "user_group_id": UserGroup},
    etag=False,
)

CAMPAIGN_SCOPES = Resource(
    "/campaign_scopes/",
    models.CampaignScope,
    schemas.CampaignScope,
    tag="CampaignScope",
    name="campaign_scope",
    create=schemas.CampaignScopeWrite,
    update=schemas.CampaignScopePut,
    filters=schemas.CampaignScopeFilters,
    sort=("name",),
    refs={"campaign_id": models.Campaign},
)

USER_GROUPS_BY_CAMPAIGN_SCOPES = Resource(
    "/user_groups_by_campaign_scopes/",
    models.UserGroupByCampaignScope,
    schemas.UserGroupByCampaignScope,
    tag="UserGroupByCampaignScope",
    name="user_group_by_campaign_scope",
    create=schemas.UserGroupByCampaignScopeWrite,
    filters=schemas.UserGroupByCampaignScopeFilters,
    refs={"campaign_scope_id": models.CampaignScope, "user_group_id": UserGroup},
    etag=False,
)

# The reference's tag order: Campaign, UserGroupByCampaign, CampaignScope, UserGroupByCampaignScope.
RESOURCES = (CAMPAIGNS, USER_GROUPS_BY_CAMPAIGNS, CAMPAIGN_SCOPES, USER_GROUPS_BY_CAMPAIGN_SCOPES)
