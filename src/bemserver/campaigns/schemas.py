"""Campaign, campaign scope and group-link documents, fields in the reference order."""

from typing import Annotated

from pydantic import Field

from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import AwareDT, Name, Timezone
from bemserver.http.fields import ItemId as Id

Description = Annotated[str | None, Field(max_length=500)]


class Campaign(OutputSchema):
    id: int
    name: str
    start_time: AwareDT | None = None
    end_time: AwareDT | None = None
    timezone: str
    description: str | None = None


class CampaignWrite(InputSchema):
    name: Name
    # Optional but not nullable: an explicit null is refused, an absent value is stored as NULL.
    start_time: AwareDT = None  # type: ignore[assignment]
    end_time: AwareDT = None  # type: ignore[assignment]
    timezone: Annotated[Timezone, Field(json_schema_extra={"default": "UTC"})]
    description: Description = None


class CampaignFilters(FilterSchema):
    name: str | None = None
    in_name: str | None = None


class CampaignScope(OutputSchema):
    id: int
    name: str
    description: str | None = None
    campaign_id: int


class CampaignScopePut(InputSchema):
    name: Name
    description: Description = None


class CampaignScopeWrite(CampaignScopePut):
    campaign_id: Id


class CampaignScopeFilters(FilterSchema):
    name: str | None = None
    campaign_id: Id | None = None


class UserGroupByCampaign(OutputSchema):
    id: int
    campaign_id: int
    user_group_id: int


class UserGroupByCampaignWrite(InputSchema):
    campaign_id: Id
    user_group_id: Id


class UserGroupByCampaignFilters(FilterSchema):
    user_group_id: Id | None = None
    campaign_id: Id | None = None


class UserGroupByCampaignScope(OutputSchema):
    id: int
    campaign_scope_id: int
    user_group_id: int


class UserGroupByCampaignScopeWrite(InputSchema):
    campaign_scope_id: Id
    user_group_id: Id


class UserGroupByCampaignScopeFilters(FilterSchema):
    user_group_id: Id | None = None
    campaign_scope_id: Id | None = None
