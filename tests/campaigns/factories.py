"""Factories of the campaigns domain's resources, and the shared campaign and scope."""

from __future__ import annotations

from tests.factories import Maker, Row, factory

# -- campaigns and scopes: rows of the shared "campaign" and "scope" -----------------------------


async def shared_campaign(maker: Maker) -> Row:
    return await maker.once("campaign", "/campaigns/", name="Campaign", timezone="UTC")


async def shared_scope(maker: Maker) -> Row:
    campaign = await shared_campaign(maker)
    return await maker.once("scope", "/campaign_scopes/", name="Scope", campaign_id=campaign["id"])


@factory("/campaigns/")
async def campaign(maker: Maker, n: int) -> Row:
    return {"name": f"Campaign {n}", "timezone": "Europe/Paris", "start_time": "2020-01-01T00:00:00+00:00"}


@factory("/campaign_scopes/")
async def campaign_scope(maker: Maker, n: int) -> Row:
    return {"name": f"Scope {n}", "campaign_id": (await shared_campaign(maker))["id"]}


@factory("/user_groups_by_campaigns/")
async def user_group_by_campaign(maker: Maker, n: int) -> Row:
    group = await maker.create("/user_groups/", name=f"Campaign group {n}")
    return {"campaign_id": (await shared_campaign(maker))["id"], "user_group_id": group["id"]}


@factory("/user_groups_by_campaign_scopes/")
async def user_group_by_campaign_scope(maker: Maker, n: int) -> Row:
    group = await maker.create("/user_groups/", name=f"Scope group {n}")
    return {"campaign_scope_id": (await shared_scope(maker))["id"], "user_group_id": group["id"]}
