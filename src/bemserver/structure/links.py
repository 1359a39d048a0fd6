"""Links of an owner (timeseries, events...) to the building tree: `OwnerLinks` (its link tables
and location filters) and `link_resources` (the `/<owner>_by_<element>s/` resources).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, create_model, model_validator
from sqlalchemy import ColumnElement, Select, exists, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.caller import Caller
from bemserver.crud import Hooks, Resource
from bemserver.crud.resource import BeforeWriteFn, EnrichFn, FilterFn, Item
from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
from bemserver.db.engine import Reader
from bemserver.http.errors import Unprocessable
from bemserver.http.fields import ItemId as Id
from bemserver.http.responses import drop_none
from bemserver.structure.tree import (
    ELEMENTS,
    WITH_CHILDREN,
    Element,
    campaign_of,
    chain_query,
    descendants,
    element,
    ids_under,
)


@dataclass(frozen=True)
class OwnerLinks:
    """An owner's link tables to the building tree, e.g. timeseries_by_sites … timeseries_by_zones."""

    owner: str  # "timeseries": the link tables' `timeseries_id`
    owner_model: type[Any]
    tables: Mapping[str, type[Any]]  # element name -> link model

    @property
    def owner_key(self) -> str:
        return f"{self.owner}_id"

    @property
    def elements(self) -> tuple[Element, ...]:
        return tuple(element(name) for name in self.tables)

    def owners_linked(self, to: Element, element_ids: Select[Any] | Any) -> Select[Any]:
        """Ids of the owners linked to these elements (an id, or a SELECT of ids)."""
        table = self.tables[to.name]
        column = getattr(table, to.key)
        condition = column.in_(element_ids) if isinstance(element_ids, Select) else column == element_ids
        return select(getattr(table, self.owner_key)).where(condition)

    def linked_to(self, to: Element) -> FilterFn:
        """The `<element>_id` filter: owners linked to that element itself."""
        return lambda element_id: self.owner_model.id.in_(self.owners_linked(to, element_id))

    def linked_at_or_below(self, top: Element) -> FilterFn:
        """The `recurse_<element>_id` filter: owners linked to that element or to one below it."""

        def condition(top_id: Any) -> ColumnElement[bool]:
            below = [
                self.owners_linked(lower, ids_under(lower, top.key, top_id))
                for lower in descendants(top)
                if lower.name in self.tables
            ]
            return self.owner_model.id.in_(union(self.owners_linked(top, top_id), *below))

        return condition

    def _locations(self) -> list[tuple[str, Element, FilterFn]]:
        """(filter name, element it names, condition), in the tree's order."""
        found = []
        for linked in ELEMENTS:
            if linked.name in self.tables:
                found.append((linked.key, linked, self.linked_to(linked)))
                if linked in WITH_CHILDREN:
                    found.append((f"recurse_{linked.key}", linked, self.linked_at_or_below(linked)))
        return found

    def location_filters(self) -> dict[str, FilterFn]:
        """site_id, recurse_site_id, building_id, recurse_building_id, … space_id, zone_id."""
        return {name: condition for name, _, condition in self._locations()}

    def location_filter_fields(self) -> dict[str, Any]:
        """The location filters as fields of a LocationFilters model (create_model's arguments)."""
        return {name: (Id | None, None) for name in self.location_filters()}

    def location_refs(self) -> dict[str, type[Any]]:
        """The element each location filter names: the caller must be able to read it (else 403)."""
        return {name: named.model for name, named, _ in self._locations()}


class LocationFilters(FilterSchema):
    """Base of an owner's list filters (/timeseries/, /events/) that include its location filters."""

    @model_validator(mode="after")
    def _one_of_each_pair(self) -> Self:
        for top in WITH_CHILDREN:
            if (
                getattr(self, top.key, None) is not None
                and getattr(self, f"recurse_{top.key}", None) is not None
            ):
                raise ValueError(f"{top.key} and recurse_{top.key} are mutually exclusive arguments")
        return self


def nested_locations(linked: Element) -> EnrichFn:
    """An enrich hook: each item with `<element>_id` gets the documents of the element's chain
    (a storey link gets `site`, `building` and `storey`), one query per list whatever its length."""
    statement = chain_query(linked)

    async def enrich(session: Reader, items: list[Item]) -> None:
        rows = await session.execute(
            statement.where(linked.model.id.in_({item[linked.key] for item in items}))
        )
        documents = {
            row["key"]: {
                above.name: drop_none(
                    {name: row[f"{above.name}__{name}"] for name in above.nested.model_fields}
                )
                for above in linked.chain
            }
            for row in rows.mappings()
        }
        for item in items:
            item.update(documents.get(item[linked.key], {}))

    return enrich


# Tokens of a read document's layout, besides "id" and extra field names.
LOCATIONS = "<locations>"  # the nested documents of the element's chain: site, building...
OWNER_ID = "<owner_id>"  # e.g. timeseries_id
ELEMENT_ID = "<element_id>"  # e.g. site_id


@dataclass(frozen=True)
class ExtraField:
    """A field of the links beyond the two ids, e.g. energy_id, or a nested `timeseries` document."""

    read: Any  # its type in the read document
    write: Any = None  # its type in the request body; None: read-only (then None when absent)
    default: Any = ...  # when absent from the request body; `...`: required
    filter: Any = None  # its type as a list filter; None: not a filter
    ref: type[Any] | None = None  # as a filter, the model the caller must be able to read
    # On write, the table whose row the id must name (energy_id: energies), else 422 `unknown`.
    exists_in: type[Any] | None = None
    unknown: str = "Unknown ID."


@dataclass(frozen=True)
class SameCampaign:
    """The 422 check that a link's owner and element belong to the same campaign."""

    message: str  # formatted with element="site"...: the `_schema` error
    # SQL of the owner's campaign id from the owner id; by default its own `campaign_id` column.
    owner_campaign: Callable[[Any], Any] | None = None


def link_documents(
    links: OwnerLinks, linked: Element, title: str, layout: Sequence[str], extra: Mapping[str, ExtraField]
) -> tuple[type[BaseModel], type[BaseModel], type[BaseModel]]:
    """The read document (fields in `layout` order), the request body and the list filters
    (`<element>_id` first, then the writable fields in layout order)."""
    read: dict[str, Any] = {}
    write: dict[str, Any] = {}
    filters: dict[str, Any] = {linked.key: (Id | None, None)}
    for token in layout:
        if token == "id":
            read["id"] = (int, ...)
        elif token == LOCATIONS:
            read.update({above.name: (above.nested | None, None) for above in linked.chain})
        elif token in (OWNER_ID, ELEMENT_ID):
            key = links.owner_key if token == OWNER_ID else linked.key
            read[key], write[key] = (int, ...), (Id, ...)
            filters.setdefault(key, (Id | None, None))
        elif (field := extra[token]).write is None:
            read[token] = (field.read | None, None)
        else:
            read[token], write[token] = (field.read, ...), (field.write, field.default)
            if field.filter is not None:
                filters[token] = (field.filter | None, None)
    return (
        create_model(title, __base__=OutputSchema, **read),
        create_model(f"{title}Write", __base__=InputSchema, **write),
        create_model(f"{title}Filters", __base__=FilterSchema, **filters),
    )


def same_campaign_check(links: OwnerLinks, linked: Element, same: SameCampaign) -> BeforeWriteFn:
    """A before-write hook: 422 when the owner and the element belong to different campaigns."""
    owner = links.owner_model
    owner_campaign = same.owner_campaign or (
        lambda owner_id: select(owner.campaign_id).where(owner.id == owner_id).scalar_subquery()
    )
    message = same.message.format(element=linked.name)

    async def check(session: AsyncSession, _: Caller, values: Item, __: Item | None) -> Item:
        element_campaign = campaign_of(linked, values[linked.key]).scalar_subquery()
        row = (await session.execute(select(owner_campaign(values[links.owner_key]), element_campaign))).one()
        # Unknown ids are left to the foreign keys (409).
        if None not in row and row[0] != row[1]:
            raise Unprocessable(errors={"json": {"_schema": [message]}})
        return values

    return check


def known_ids_check(extra: Mapping[str, ExtraField]) -> BeforeWriteFn | None:
    """A before-write hook: 422 naming each extra id field (`exists_in`) whose row does not exist,
    all checked in one query."""
    checked = {name: field for name, field in extra.items() if field.exists_in is not None}
    if not checked:
        return None

    async def check(session: AsyncSession, _: Caller, values: Item, __: Item | None) -> Item:
        found = (
            await session.execute(
                select(*(exists().where(f.exists_in.id == values[name]) for name, f in checked.items()))
            )
        ).one()
        unknown = {name: [f.unknown] for (name, f), ok in zip(checked.items(), found, strict=True) if not ok}
        if unknown:
            raise Unprocessable(errors={"json": unknown})
        return values

    return check


def _in_turn(*hooks: BeforeWriteFn | None) -> BeforeWriteFn | None:
    """The before-write hooks that are set, run in order."""
    chosen = [hook for hook in hooks if hook is not None]
    if len(chosen) <= 1:
        return chosen[0] if chosen else None

    async def run(session: AsyncSession, caller: Caller, values: Item, current: Item | None) -> Item:
        for hook in chosen:
            values = await hook(session, caller, values, current)
        return values

    return run


def _both(first: EnrichFn | None, second: EnrichFn | None) -> EnrichFn | None:
    if first is None or second is None:
        return first or second

    async def enrich(session: Reader, items: list[Item]) -> None:
        await first(session, items)
        await second(session, items)

    return enrich


def link_resources(
    links: OwnerLinks,
    *,
    name: str | None = None,
    plural: str | None = None,
    same_campaign: SameCampaign | None,
    layout: Sequence[str] = ("id", LOCATIONS, OWNER_ID, ELEMENT_ID),
    extra: Mapping[str, ExtraField] | None = None,
    enrich: EnrichFn | None = None,
    etag: bool = False,
    paginate: bool = True,
    update: bool = False,
) -> tuple[Resource, ...]:
    """The `/<plural>_by_<element>s/` resources, in the tree's order. `name` (the owner's by
    default) names operations (`create_event_by_site`), components and tags (`EventBySite`);
    `plural` (`name` by default) starts the paths. `layout` orders the read document, `extra`
    declares its other fields, `enrich` adds their nested documents. `update`: a PUT whose body is
    the POST body (energy and weather links, with `etag`; association links have neither)."""
    name = name or links.owner
    plural = plural or name
    extra = extra or {}
    camel = "".join(word.capitalize() for word in name.split("_"))
    known_ids = known_ids_check(extra)
    resources = []
    for linked in links.elements:
        title = f"{camel}By{linked.title}"
        read, write, filters = link_documents(links, linked, title, layout, extra)
        refs = {linked.key: linked.model, links.owner_key: links.owner_model}
        refs.update({key: extra_field.ref for key, extra_field in extra.items() if extra_field.ref})
        hooks = Hooks(
            enrich=_both(nested_locations(linked) if LOCATIONS in layout else None, enrich),
            before_write=_in_turn(
                known_ids,
                same_campaign_check(links, linked, same_campaign) if same_campaign else None,
            ),
        )
        resources.append(
            Resource(
                f"/{plural}_by_{linked.plural}/",
                links.tables[linked.name],
                read,
                tag=title,
                name=f"{name}_by_{linked.name}",
                create=write,
                update=write if update else None,
                filters=filters,
                etag=etag,
                paginate=paginate,
                refs=refs,
                hooks=hooks,
            )
        )
    return tuple(resources)
