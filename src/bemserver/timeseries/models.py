"""Tables for timeseries metadata and their location links."""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin
from bemserver.db.types import value_type_check, value_type_column


def _fk(table: str, index: bool = False) -> Mapped[int]:
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=index)


class TimeseriesProperty(IdMixin, Base):
    __tablename__ = "timeseries_properties"
    __table_args__ = (value_type_check(),)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    value_type: Mapped[str] = value_type_column()
    unit_symbol: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(250))


class TimeseriesDataState(IdMixin, Base):
    __tablename__ = "timeseries_data_states"
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Timeseries(IdMixin, Base):
    __tablename__ = "timeseries"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    unit_symbol: Mapped[str] = mapped_column(String(20), server_default="")
    description: Mapped[str | None] = mapped_column(String(500))
    campaign_id: Mapped[int] = _fk("campaigns")
    campaign_scope_id: Mapped[int] = _fk("campaign_scopes", index=True)


class TimeseriesPropertyData(IdMixin, Base):
    __tablename__ = "timeseries_property_data"
    __table_args__ = (UniqueConstraint("timeseries_id", "property_id"),)
    timeseries_id: Mapped[int] = _fk("timeseries")
    property_id: Mapped[int] = _fk("timeseries_properties", index=True)
    value: Mapped[str] = mapped_column(String(100))


class TimeseriesByDataState(IdMixin, Base):
    """One stored series: a timeseries in one data state (Raw, Clean...). Points reference it."""

    __tablename__ = "timeseries_by_data_states"
    __table_args__ = (UniqueConstraint("timeseries_id", "data_state_id"),)
    timeseries_id: Mapped[int] = _fk("timeseries")
    data_state_id: Mapped[int] = _fk("timeseries_data_states", index=True)


class TimeseriesBySite(IdMixin, Base):
    __tablename__ = "timeseries_by_sites"
    __table_args__ = (UniqueConstraint("site_id", "timeseries_id"),)
    site_id: Mapped[int] = _fk("sites")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class TimeseriesByBuilding(IdMixin, Base):
    __tablename__ = "timeseries_by_buildings"
    __table_args__ = (UniqueConstraint("building_id", "timeseries_id"),)
    building_id: Mapped[int] = _fk("buildings")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class TimeseriesByStorey(IdMixin, Base):
    __tablename__ = "timeseries_by_storeys"
    __table_args__ = (UniqueConstraint("storey_id", "timeseries_id"),)
    storey_id: Mapped[int] = _fk("storeys")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class TimeseriesBySpace(IdMixin, Base):
    __tablename__ = "timeseries_by_spaces"
    __table_args__ = (UniqueConstraint("space_id", "timeseries_id"),)
    space_id: Mapped[int] = _fk("spaces")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)


class TimeseriesByZone(IdMixin, Base):
    __tablename__ = "timeseries_by_zones"
    __table_args__ = (UniqueConstraint("zone_id", "timeseries_id"),)
    zone_id: Mapped[int] = _fk("zones")
    timeseries_id: Mapped[int] = _fk("timeseries", index=True)
