"""The points table. Owned by the data engine (see its migration)."""

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base


class TimeseriesData(Base):
    """One point: (series = timeseries x data state, timestamp) -> value.

    series_id references timeseries_by_data_states.id without a foreign key (it would slow bulk
    writes down): a statement trigger deletes the points of deleted series (migration 0004)."""

    __tablename__ = "timeseries_data"
    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
