"""Energy tables: the seeded energies, end uses and production technologies, and the links saying
which timeseries meters the consumption (or production) of a site or building for one energy and
one end use (or production technology)."""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin


def _fk(table: str, *, index: bool = False, cascade: bool = True) -> Mapped[int]:
    # Links go with their site, building or timeseries; the seeded lookup rows are never deleted.
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE" if cascade else None), index=index)


def _lookup(table: str) -> Mapped[int]:
    return _fk(table, index=True, cascade=False)


class Energy(IdMixin, Base):
    __tablename__ = "energies"
    name: Mapped[str] = mapped_column(String(80), unique=True)


class EnergyEndUse(IdMixin, Base):
    __tablename__ = "ener_end_uses"
    name: Mapped[str] = mapped_column(String(80), unique=True)


class EnergyProductionTechnology(IdMixin, Base):
    __tablename__ = "ener_prod_techs"
    name: Mapped[str] = mapped_column(String(80), unique=True)


# The unique constraints start with the site or building: they serve the breakdowns' lookups.
# The timeseries index serves the permission filter and the cascade from timeseries.


class EnergyConsumptionTimeseriesBySite(IdMixin, Base):
    __tablename__ = "ener_cons_ts_by_site"
    __table_args__ = (UniqueConstraint("site_id", "energy_id", "end_use_id"),)
    site_id: Mapped[int] = _fk("sites")
    energy_id: Mapped[int] = _lookup("energies")
    end_use_id: Mapped[int] = _lookup("ener_end_uses")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class EnergyConsumptionTimeseriesByBuilding(IdMixin, Base):
    __tablename__ = "ener_cons_ts_by_building"
    __table_args__ = (UniqueConstraint("building_id", "energy_id", "end_use_id"),)
    building_id: Mapped[int] = _fk("buildings")
    energy_id: Mapped[int] = _lookup("energies")
    end_use_id: Mapped[int] = _lookup("ener_end_uses")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class EnergyProductionTimeseriesBySite(IdMixin, Base):
    __tablename__ = "ener_prod_ts_by_site"
    __table_args__ = (UniqueConstraint("site_id", "energy_id", "prod_tech_id"),)
    site_id: Mapped[int] = _fk("sites")
    energy_id: Mapped[int] = _lookup("energies")
    prod_tech_id: Mapped[int] = _lookup("ener_prod_techs")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class EnergyProductionTimeseriesByBuilding(IdMixin, Base):
    __tablename__ = "ener_prod_ts_by_building"
    __table_args__ = (UniqueConstraint("building_id", "energy_id", "prod_tech_id"),)
    building_id: Mapped[int] = _fk("buildings")
    energy_id: Mapped[int] = _lookup("energies")
    prod_tech_id: Mapped[int] = _lookup("ener_prod_techs")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)
