"""/timeseries_by_sites/ … /timeseries_by_zones/: which locations a timeseries belongs to.

Association resources as in the reference: list (paginated), create, get and delete, no ETag. Items
carry their location documents read-only (e.g. a storey link has `site`, `building` and `storey`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from bemserver.crud import Hooks, Resource
from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.http.fields import ItemId as Id
from bemserver.timeseries import models as m
from bemserver.timeseries.hooks import same_campaign
from bemserver.timeseries.locations import CHAINS, nested_locations

LINK_MODELS: dict[str, type[Any]] = {
    "site": m.TimeseriesBySite,
    "building": m.TimeseriesByBuilding,
    "storey": m.TimeseriesByStorey,
    "space": m.TimeseriesBySpace,
    "zone": m.TimeseriesByZone,
}


def _schemas(element: str) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    """The read document, the POST body and the list filters of one link resource."""
    title = f"TimeseriesBy{element.capitalize()}"
    key = f"{element}_id"
    nested: dict[str, Any] = {level.element: (level.document | None, None) for level in CHAINS[element]}
    read = create_model(
        title, __base__=OutputSchema, id=(int, ...), **nested, timeseries_id=(int, ...), **{key: (int, ...)}
    )
    write = create_model(f"{title}Write", __base__=InputSchema, timeseries_id=(Id, ...), **{key: (Id, ...)})
    filters = create_model(
        f"{title}Filters", __base__=FilterSchema, **{key: (Id | None, None)}, timeseries_id=(Id | None, None)
    )
    return read, write, filters


def _link_resource(element: str) -> Resource:
    read, write, filters = _schemas(element)
    model = LINK_MODELS[element]
    return Resource(
        f"/timeseries_by_{element}s/",
        model,
        read,
        tag=read.__name__,
        name=f"timeseries_by_{element}",
        create=write,
        filters=filters,
        etag=False,
        paginate=True,
        refs={f"{element}_id": CHAINS[element][-1].model, "timeseries_id": m.Timeseries},
        hooks=Hooks(enrich=nested_locations(element), before_write=same_campaign(element)),
    )


RESOURCES = tuple(_link_resource(element) for element in LINK_MODELS)
