"""Rollup tables (migration 0005): per stored series, the points of each cell summed up.

A row covers the cell [start, start + width) (15 minutes, an hour or a UTC day, aligned on the Unix
epoch) and exists only when the cell holds points. The exact sum of its values is
micros / 10^6 + decimals: `micros` adds up the values that are whole numbers of millionths below
1e9 (as int8), `decimals` the others (as numeric, from their shortest decimal form; NULL if none).
`fsum` is that sum rounded to a float8. `m2` (quarters and days) is the sum of squared deviations
from the cell's mean, NULL when some value is not a whole number of millionths.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, Numeric
from sqlalchemy.orm import Mapped, mapped_column

from bemserver.db.base import Base


class _Rollup:
    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    micros: Mapped[int] = mapped_column(BigInteger)
    decimals: Mapped[Decimal | None] = mapped_column(Numeric)
    fsum: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class QuarterRollup(_Rollup, Base):
    __tablename__ = "timeseries_data_quarters"
    m2: Mapped[float | None] = mapped_column(Float)


class HourRollup(_Rollup, Base):
    __tablename__ = "timeseries_data_hours"


class DayRollup(_Rollup, Base):
    __tablename__ = "timeseries_data_days"
    m2: Mapped[float | None] = mapped_column(Float)


class DirtySpan(Base):
    """Points of the series changed in [lo, hi) since its rollups were last refreshed."""

    __tablename__ = "timeseries_data_dirty"
    __table_args__ = (Index("ix_timeseries_data_dirty_series_id", "series_id"),)
    __mapper_args__ = {"primary_key": ["series_id", "lo", "hi"]}  # no key in the table: rows repeat
    series_id: Mapped[int] = mapped_column(Integer)
    lo: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hi: Mapped[datetime] = mapped_column(DateTime(timezone=True))
