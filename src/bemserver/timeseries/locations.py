"""The read-only location documents nested in /timeseries_by_<element>/ items.

A link to a storey carries its `site`, `building` and `storey` (each without its id), read with one
query per list, whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from bemserver.crud.resource import EnrichFn, Item
from bemserver.crud.schemas import OutputSchema
from bemserver.db.engine import Reader
from bemserver.http.responses import drop_none
from bemserver.structure import models as s


class SiteExcludeId(OutputSchema):
    name: str
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = None
    ifc_id: str | None = None
    campaign_id: int


class BuildingExcludeId(OutputSchema):
    name: str
    description: str | None = None
    ifc_id: str | None = None
    site_id: int


class StoreyExcludeId(OutputSchema):
    name: str
    description: str | None = None
    ifc_id: str | None = None
    building_id: int


class SpaceExcludeId(OutputSchema):
    name: str
    description: str | None = None
    ifc_id: str | None = None
    storey_id: int


class ZoneExcludeId(OutputSchema):
    name: str
    description: str | None = None
    ifc_id: str | None = None
    campaign_id: int


@dataclass(frozen=True)
class Level:
    """One kind of location: its table, its nested document and the column to the level above."""

    element: str  # "site": the nested document's key and the link's `<element>_id`
    model: type[Any]
    document: type[OutputSchema]
    up: str | None  # e.g. "site_id" on buildings; None at the top of a chain

    def columns(self) -> list[Any]:
        table = self.model.__table__
        return [table.c[name].label(f"{self.element}__{name}") for name in self.document.model_fields]


SITE = Level("site", s.Site, SiteExcludeId, None)
BUILDING = Level("building", s.Building, BuildingExcludeId, "site_id")
STOREY = Level("storey", s.Storey, StoreyExcludeId, "building_id")
SPACE = Level("space", s.Space, SpaceExcludeId, "storey_id")
ZONE = Level("zone", s.Zone, ZoneExcludeId, None)

# element -> the levels whose documents a link to it carries, top first
CHAINS: dict[str, tuple[Level, ...]] = {
    "site": (SITE,),
    "building": (SITE, BUILDING),
    "storey": (SITE, BUILDING, STOREY),
    "space": (SITE, BUILDING, STOREY, SPACE),
    "zone": (ZONE,),
}


def chain_query(element: str) -> Select[Any]:
    """SELECT <element>.id AS key, <each level's document columns> FROM <element> JOIN its parents."""
    chain = CHAINS[element]
    bottom = chain[-1].model
    columns = [column for level in chain for column in level.columns()]
    statement = select(bottom.id.label("key"), *columns).select_from(bottom)
    for below, above in zip(reversed(chain), reversed(chain[:-1]), strict=False):
        statement = statement.join(above.model, above.model.id == below.model.__table__.c[below.up])
    return statement


def nested_locations(element: str) -> EnrichFn:
    """The enrich hook of /timeseries_by_<element>/: each item gets its location documents."""
    chain = CHAINS[element]
    statement = chain_query(element)
    key = f"{element}_id"
    bottom = chain[-1].model

    async def enrich(session: Reader, items: list[Item]) -> None:
        rows = await session.execute(statement.where(bottom.id.in_({item[key] for item in items})))
        documents = {
            row["key"]: {
                level.element: drop_none(
                    {name: row[f"{level.element}__{name}"] for name in level.document.model_fields}
                )
                for level in chain
            }
            for row in rows.mappings()
        }
        for item in items:
            item.update(documents.get(item[key], {}))

    return enrich


def campaign_of(element: str, element_id: int) -> Select[Any]:
    """The campaign id of a location (through its site for buildings, storeys and spaces)."""
    top = CHAINS[element][0]
    return (
        chain_query(element)
        .with_only_columns(top.model.campaign_id)
        .where(CHAINS[element][-1].model.id == element_id)
    )
