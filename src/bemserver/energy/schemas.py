"""Documents of the seeded energies, end uses and production technologies. The link documents are
made by the link factory (resources.py)."""

from __future__ import annotations

from bemserver.crud.schemas import OutputSchema


class Energy(OutputSchema):
    id: int
    name: str


class EnergyEndUse(OutputSchema):
    id: int
    name: str


class EnergyProductionTechnology(OutputSchema):
    id: int
    name: str
