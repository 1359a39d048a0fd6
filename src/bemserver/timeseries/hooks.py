"""Checks before writing timeseries, their property values and their location links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.campaigns.models import Campaign, CampaignScope
from bemserver.crud.resource import BeforeWriteFn, Item
from bemserver.db.types import valid_property_value
from bemserver.http.errors import Unprocessable
from bemserver.timeseries import models as t
from bemserver.timeseries.locations import campaign_of

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


def same_campaign(element: str) -> BeforeWriteFn:
    """A timeseries may only be linked to a location of its own campaign."""

    async def check(session: AsyncSession, _: Caller, values: Item, __: Item | None) -> Item:
        timeseries_campaign = (
            select(t.Timeseries.campaign_id)
            .where(t.Timeseries.id == values["timeseries_id"])
            .scalar_subquery()
        )
        location_campaign = campaign_of(element, values[f"{element}_id"]).scalar_subquery()
        row = (await session.execute(select(timeseries_campaign, location_campaign))).one()
        # Unknown ids are left to the foreign keys (409).
        if None not in row and row[0] != row[1]:
            message = f"The timeseries and the {element} belong to different campaigns."
            raise Unprocessable(errors={"json": {"_schema": [message]}})
        return values

    return check
