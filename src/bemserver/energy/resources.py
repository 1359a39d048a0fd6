"""/energies/, /energy_end_uses/, /energy_production_technologies/ (seeded, read-only lists) and
/energy_consumption_timeseries_by_sites/ … /energy_production_timeseries_by_buildings/ (from the link
factory: which timeseries meters a site's or building's consumption of one energy for one end use,
or its production of one energy by one technology)."""

from __future__ import annotations

from bemserver.crud import Resource
from bemserver.crud.nested import nested
from bemserver.energy import models as m
from bemserver.energy import schemas as s
from bemserver.http.fields import ItemId as Id
from bemserver.structure.links import (
    ELEMENT_ID,
    OWNER_ID,
    ExtraField,
    OwnerLinks,
    SameCampaign,
    link_resources,
)
from bemserver.timeseries.models import Timeseries
from bemserver.timeseries.schemas import TimeseriesExcludeId


def _lookup(path: str, model: type, read: type, tag: str, name: str) -> Resource:
    """A seeded table: listed (with an ETag), never written through the API."""
    return Resource(path, model, read, tag=tag, name=name, get=False, delete=False)


ENERGIES = _lookup("/energies/", m.Energy, s.Energy, "Energy", "energy")
END_USES = _lookup("/energy_end_uses/", m.EnergyEndUse, s.EnergyEndUse, "EnergyEndUse", "energy_end_use")
PRODUCTION_TECHNOLOGIES = _lookup(
    "/energy_production_technologies/",
    m.EnergyProductionTechnology,
    s.EnergyProductionTechnology,
    "EnergyProductionTechnology",
    "energy_production_technology",
)

CONSUMPTION_LINKS = OwnerLinks(
    "timeseries",
    Timeseries,
    {"site": m.EnergyConsumptionTimeseriesBySite, "building": m.EnergyConsumptionTimeseriesByBuilding},
)
PRODUCTION_LINKS = OwnerLinks(
    "timeseries",
    Timeseries,
    {"site": m.EnergyProductionTimeseriesBySite, "building": m.EnergyProductionTimeseriesByBuilding},
)

SAME_CAMPAIGN = SameCampaign("The timeseries and the {element} belong to different campaigns.")
NESTED_TIMESERIES = nested(Timeseries, TimeseriesExcludeId, "timeseries_id", "timeseries")


def _id_of(table: type, unknown: str) -> ExtraField:
    """An id naming a row of a seeded table: a filter, and a 422 on write when the row is unknown."""
    return ExtraField(read=int, write=Id, filter=Id, exists_in=table, unknown=unknown)


def _energy_links(links: OwnerLinks, name: str, kind_id: str, kind: ExtraField) -> tuple[Resource, ...]:
    """Std CRUD with ETags, no pagination; PUT takes the whole document and may change every id."""
    return link_resources(
        links,
        name=name,
        same_campaign=SAME_CAMPAIGN,
        layout=("id", "timeseries", ELEMENT_ID, "energy_id", kind_id, OWNER_ID),
        extra={
            "timeseries": ExtraField(read=TimeseriesExcludeId),
            "energy_id": _id_of(m.Energy, "Unknown energy ID."),
            kind_id: kind,
        },
        enrich=NESTED_TIMESERIES,
        etag=True,
        paginate=False,
        update=True,
    )


CONSUMPTION = _energy_links(
    CONSUMPTION_LINKS,
    "energy_consumption_timeseries",
    "end_use_id",
    _id_of(m.EnergyEndUse, "Unknown energy end use ID."),
)
PRODUCTION = _energy_links(
    PRODUCTION_LINKS,
    "energy_production_timeseries",
    "prod_tech_id",
    _id_of(m.EnergyProductionTechnology, "Unknown energy production technology ID."),
)

RESOURCES = (ENERGIES, END_USES, PRODUCTION_TECHNOLOGIES, *CONSUMPTION, *PRODUCTION)
