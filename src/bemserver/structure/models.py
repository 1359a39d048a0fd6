"""Tables for structural elements, their properties and property values."""

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin
from bemserver.db.types import value_type_check, value_type_column


def _parent(table: str) -> Mapped[int]:
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"))


class StructuralElementProperty(IdMixin, Base):
    __tablename__ = "structural_element_properties"
    __table_args__ = (value_type_check(),)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    value_type: Mapped[str] = value_type_column()
    unit_symbol: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(500))


class Site(IdMixin, Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(String(500))
    ifc_id: Mapped[str | None] = mapped_column(String(22))
    campaign_id: Mapped[int] = _parent("campaigns")


class Building(IdMixin, Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("site_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    ifc_id: Mapped[str | None] = mapped_column(String(22))
    site_id: Mapped[int] = _parent("sites")


class Storey(IdMixin, Base):
    __tablename__ = "storeys"
    __table_args__ = (UniqueConstraint("building_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    ifc_id: Mapped[str | None] = mapped_column(String(22))
    building_id: Mapped[int] = _parent("buildings")


class Space(IdMixin, Base):
    __tablename__ = "spaces"
    __table_args__ = (UniqueConstraint("storey_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    ifc_id: Mapped[str | None] = mapped_column(String(22))
    storey_id: Mapped[int] = _parent("storeys")


class Zone(IdMixin, Base):
    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    ifc_id: Mapped[str | None] = mapped_column(String(22))
    campaign_id: Mapped[int] = _parent("campaigns")


# A structural element property is enabled at most once per element type.
class SiteProperty(IdMixin, Base):
    __tablename__ = "site_properties"
    structural_element_property_id: Mapped[int] = mapped_column(
        ForeignKey("structural_element_properties.id", ondelete="CASCADE"), unique=True
    )


class BuildingProperty(IdMixin, Base):
    __tablename__ = "building_properties"
    structural_element_property_id: Mapped[int] = mapped_column(
        ForeignKey("structural_element_properties.id", ondelete="CASCADE"), unique=True
    )


class StoreyProperty(IdMixin, Base):
    __tablename__ = "storey_properties"
    structural_element_property_id: Mapped[int] = mapped_column(
        ForeignKey("structural_element_properties.id", ondelete="CASCADE"), unique=True
    )


class SpaceProperty(IdMixin, Base):
    __tablename__ = "space_properties"
    structural_element_property_id: Mapped[int] = mapped_column(
        ForeignKey("structural_element_properties.id", ondelete="CASCADE"), unique=True
    )


class ZoneProperty(IdMixin, Base):
    __tablename__ = "zone_properties"
    structural_element_property_id: Mapped[int] = mapped_column(
        ForeignKey("structural_element_properties.id", ondelete="CASCADE"), unique=True
    )


class SitePropertyData(IdMixin, Base):
    __tablename__ = "site_property_data"
    __table_args__ = (UniqueConstraint("site_id", "site_property_id"),)
    site_id: Mapped[int] = _parent("sites")
    site_property_id: Mapped[int] = mapped_column(
        ForeignKey("site_properties.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(100))


class BuildingPropertyData(IdMixin, Base):
    __tablename__ = "building_property_data"
    __table_args__ = (UniqueConstraint("building_id", "building_property_id"),)
    building_id: Mapped[int] = _parent("buildings")
    building_property_id: Mapped[int] = mapped_column(
        ForeignKey("building_properties.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(100))


class StoreyPropertyData(IdMixin, Base):
    __tablename__ = "storey_property_data"
    __table_args__ = (UniqueConstraint("storey_id", "storey_property_id"),)
    storey_id: Mapped[int] = _parent("storeys")
    storey_property_id: Mapped[int] = mapped_column(
        ForeignKey("storey_properties.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(100))


class SpacePropertyData(IdMixin, Base):
    __tablename__ = "space_property_data"
    __table_args__ = (UniqueConstraint("space_id", "space_property_id"),)
    space_id: Mapped[int] = _parent("spaces")
    space_property_id: Mapped[int] = mapped_column(
        ForeignKey("space_properties.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(100))


class ZonePropertyData(IdMixin, Base):
    __tablename__ = "zone_property_data"
    __table_args__ = (UniqueConstraint("zone_id", "zone_property_id"),)
    zone_id: Mapped[int] = _parent("zones")
    zone_property_id: Mapped[int] = mapped_column(
        ForeignKey("zone_properties.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(100))
