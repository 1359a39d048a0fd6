"""weather_ts_by_site: which timeseries of a site holds which weather parameter, measured or forecast."""

from sqlalchemy import Enum, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base, IdMixin
from bemserver.weather.parameters import PARAMETER_NAMES

# The reference's PostgreSQL enum type, its labels in the reference's order.
WEATHER_PARAMETER = Enum(*PARAMETER_NAMES, name="weatherparameterenum")


class WeatherTimeseriesBySite(IdMixin, Base):
    __tablename__ = "weather_ts_by_site"
    __table_args__ = (UniqueConstraint("site_id", "parameter", "forecast"),)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    parameter: Mapped[str] = mapped_column(WEATHER_PARAMETER)
    timeseries_id: Mapped[int] = mapped_column(ForeignKey("timeseries.id", ondelete="CASCADE"), index=True)
    forecast: Mapped[bool]
