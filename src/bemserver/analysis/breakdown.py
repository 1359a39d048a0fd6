"""Energy consumption (by end use) and production (by technology) of a site or building: per energy
and category, the Clean data's sum per bucket of the linked timeseries, converted to one unit,
optionally divided by a property of the element (per m², per occupant...). The sums come from the
aggregate grid (numeric.bucketed, sum), in SQL, rollups included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bemserver.auth.caller import Caller
from bemserver.db.engine import Reader
from bemserver.energy import models as e
from bemserver.http.errors import Conflict, Forbidden, NotFound
from bemserver.permissions import read_filter
from bemserver.structure import models as m
from bemserver.structure.tree import Element, element
from bemserver.timeseries.models import Timeseries
from bemserver.timeseries.rules import timeseries_data_filter
from bemserver.timeseries_data import numeric
from bemserver.timeseries_data.aggregate import Aggregation
from bemserver.timeseries_data.selection import Selection
from bemserver.units import ConversionError, UnitError, conversion

CLEAN = "Clean"
INCOMPATIBLE_UNIT = "Incompatible unit in input timeseries."


@dataclass(frozen=True)
class Breakdown:
    """Which links break an element's energy down, and by what (end uses or technologies)."""

    element: Element
    link: type[Any]
    category: type[Any]  # the end uses or production technologies table
    category_key: str  # the link's column to it

    @property
    def element_column(self) -> Any:
        return getattr(self.link, self.element.key)


SITE, BUILDING = element("site"), element("building")
BREAKDOWNS = {
    ("consumption", "site"): Breakdown(
        SITE, e.EnergyConsumptionTimeseriesBySite, e.EnergyEndUse, "end_use_id"
    ),
    ("consumption", "building"): Breakdown(
        BUILDING, e.EnergyConsumptionTimeseriesByBuilding, e.EnergyEndUse, "end_use_id"
    ),
    ("production", "site"): Breakdown(
        SITE, e.EnergyProductionTimeseriesBySite, e.EnergyProductionTechnology, "prod_tech_id"
    ),
    ("production", "building"): Breakdown(
        BUILDING, e.EnergyProductionTimeseriesByBuilding, e.EnergyProductionTechnology, "prod_tech_id"
    ),
}


async def require_readable(connection: Reader, caller: Caller, kind: Element, element_id: int) -> None:
    """404 for an unknown element, 403 for one the caller may not read."""
    row = (
        await connection.execute(
            select(read_filter(kind.model, caller).label("allowed")).where(kind.model.id == element_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    if not row.allowed:
        raise Forbidden()


async def ratio_of(connection: Reader, kind: Element, element_id: int, name: str) -> float:
    """The element's value of the named property, as a divisor (409 when missing, not a number or 0)."""
    data, enabled = kind.property_data_model, kind.property_model
    value = await connection.scalar(
        select(data.value)
        .join(enabled, enabled.id == getattr(data, f"{kind.name}_property_id"))
        .join(
            m.StructuralElementProperty,
            m.StructuralElementProperty.id == enabled.structural_element_property_id,
        )
        .where(getattr(data, kind.key) == element_id, m.StructuralElementProperty.name == name)
    )
    if value is None:
        raise Conflict(f'{kind.title} has no "{name}" property.')
    try:
        ratio = float(value)
    except ValueError:
        raise Conflict(f'{kind.title} "{name}" property is not a number: {value!r}.') from None
    if not math.isfinite(ratio) or ratio == 0:
        raise Conflict(f'{kind.title} "{name}" property is {value!r}: energy cannot be divided by it.')
    return ratio


async def _links(connection: Reader, caller: Caller, breakdown: Breakdown, element_id: int) -> list[Any]:
    """(timeseries id, unit, energy name, category name) of the element's links whose row and
    timeseries data the caller may read, in link order."""
    link, category = breakdown.link, breakdown.category
    statement = (
        select(
            link.timeseries_id,
            Timeseries.unit_symbol,
            e.Energy.name.label("energy"),
            category.name.label("category"),
        )
        .join(Timeseries, Timeseries.id == link.timeseries_id)
        .join(e.Energy, e.Energy.id == link.energy_id)
        .join(category, category.id == getattr(link, breakdown.category_key))
        .where(breakdown.element_column == element_id)
        .order_by(link.id)
    )
    if not caller.is_admin:
        statement = statement.where(read_filter(link, caller), timeseries_data_filter(caller))
    return list(await connection.execute(statement))


def _check_units(links: list[Any], unit: str) -> None:
    for link in links:
        try:
            conversion(link.unit_symbol, unit)
        except (ConversionError, UnitError):
            raise Conflict(INCOMPATIBLE_UNIT) from None


async def clean_state(connection: Reader) -> int:
    from bemserver.timeseries.models import TimeseriesDataState

    found = await connection.scalar(select(TimeseriesDataState.id).where(TimeseriesDataState.name == CLEAN))
    assert found is not None, "the Clean data state is seeded"
    return int(found)


async def breakdown(
    connection: Reader,
    caller: Caller,
    which: Breakdown,
    element_id: int,
    grid: numeric.Bucketing,
    unit: str = "Wh",
    ratio_property: str | None = None,
) -> dict[str, Any]:
    """{"timestamps": [bucket starts], "energy": {energy: {end use or technology: [value per bucket]}}}:
    empty buckets count 0; every value divided by the ratio property's value when one is named."""
    await require_readable(connection, caller, which.element, element_id)
    ratio = (
        1.0
        if ratio_property is None
        else await ratio_of(connection, which.element, element_id, ratio_property)
    )
    links = await _links(connection, caller, which, element_id)
    _check_units(links, unit)
    ids = list(dict.fromkeys(link.timeseries_id for link in links))
    buckets = await numeric.bucketed(
        connection,
        caller,
        Selection(ids, await clean_state(connection)),
        grid,
        Aggregation.SUM,
        convert_to=[unit] * len(ids),
    )
    energy: dict[str, dict[str, list[float]]] = {}
    for link in links:
        values = buckets.values[link.timeseries_id]
        energy.setdefault(link.energy, {})[link.category] = [(value or 0.0) / ratio for value in values]
    return {"timestamps": buckets.starts, "energy": energy}
