"""Checks before writing timeseries and their property values."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud.resource import Item
from bemserver.db.types import valid_property_value
from bemserver.http.errors import Unprocessable
from bemserver.timeseries import models as t

INVALID_TYPE = {"json": {"value": ["Invalid type."]}}
SCOPE_OF_ANOTHER_CAMPAIGN = "The campaign scope belongs to another campaign."


async def scope_in_campaign(session: AsyncSession, _: Caller, values: Item, current: Item | None) -> Item:
    """A new timeseries' campaign scope must be one of its campaign's (the reference does not check)."""
    if current is None:
        campaign_exists = select(Campaign.id).where(Campaign.id == values["campaign_id"]).exists()
        scope_campaign = await session.scalar(
            select(CampaignScope.campaign_id).where(
                CampaignScope.id == values["campaign_scope_id"], campaign_exists
            )
        )
        # An unknown scope or campaign is left to the foreign keys (409).
        if scope_campaign is not None and scope_campaign != values["campaign_id"]:
            raise Unprocessable(errors={"json": {"campaign_scope_id": [SCOPE_OF_ANOTHER_CAMPAIGN]}})
    return values


async def value_of_property_type(session: AsyncSession, _: Caller, values: Item, __: Item | None) -> Item:
    """A property value must parse as its property's value type."""
    value_type = await session.scalar(
        select(t.TimeseriesProperty.value_type).where(t.TimeseriesProperty.id == values["property_id"])
    )
    # An unknown property is left to the foreign key (409).
    if value_type is not None and not valid_property_value(value_type, values["value"]):
        raise Unprocessable(errors=INVALID_TYPE)
    return values
