"""Energy: everyone reads the seeded lists; the links are read by those who may read their
timeseries (members of its campaign scope) and written by admins only, as in the reference."""

from bemserver.energy import models as m
from bemserver.permissions import everyone, readable_through, rule
from bemserver.timeseries.models import Timeseries

LOOKUPS = (m.Energy, m.EnergyEndUse, m.EnergyProductionTechnology)
LINKS = (
    m.EnergyConsumptionTimeseriesBySite,
    m.EnergyConsumptionTimeseriesByBuilding,
    m.EnergyProductionTimeseriesBySite,
    m.EnergyProductionTimeseriesByBuilding,
)


def rules() -> None:
    for lookup in LOOKUPS:
        rule(lookup, everyone)
    for link in LINKS:
        rule(link, readable_through(link.timeseries_id, Timeseries))
