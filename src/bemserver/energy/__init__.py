"""Energy: the seeded energies, end uses and production technologies, and which timeseries meter
the consumption and production of sites and buildings."""

from bemserver.domain import Domain

# After the timeseries links (70) and before the CSV import (80), as in the reference's tag order.
DOMAIN = Domain(
    "energy",
    position=74,
    models=("bemserver.energy.models",),
    routes=("bemserver.energy.resources",),
    rules="bemserver.energy.rules",
    factories="tests.energy.factories",
)
