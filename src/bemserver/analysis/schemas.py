"""Documents of the analysis answers (for the OpenAPI document; the answers are rendered directly)."""

from __future__ import annotations

from pydantic import Field

from bemserver.crud.schemas import OutputSchema
from bemserver.http.fields import AwareDT


class TimeseriesCompleteness(OutputSchema):
    name: str
    count: list[int] = Field(description="Points per bucket")
    ratio: list[float | None] = Field(description="Points per bucket / points expected (null: no interval)")
    total_count: int
    avg_count: float | None = Field(description="Mean points per bucket (null: no bucket)")
    avg_ratio: float | None
    interval: float | None = Field(
        description="Seconds between points: the Interval property, else inferred from the densest bucket"
    )
    undefined_interval: bool = Field(
        description="Whether the interval was inferred (no valid Interval property)"
    )
    expected_count: list[float | None]


class Completeness(OutputSchema):
    timestamps: list[AwareDT] = Field(description="Bucket starts, in the requested timezone")
    timeseries: dict[str, TimeseriesCompleteness] = Field(description="Per timeseries ID")


class EnergyConsumption(OutputSchema):
    timestamps: list[AwareDT]
    energy: dict[str, dict[str, list[float]]] = Field(
        description="Per energy name, per end use name: the energy of each bucket"
    )


class EnergyProduction(OutputSchema):
    timestamps: list[AwareDT]
    energy: dict[str, dict[str, list[float]]] = Field(
        description="Per energy name, per production technology name: the energy of each bucket"
    )


class DegreeDays(OutputSchema):
    degree_days: dict[str, float | None] = Field(
        description="Per period start (ISO 8601, campaign timezone): degree days, null without data"
    )
