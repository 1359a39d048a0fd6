"""The benchmark's data set: 10-minute points of a daily sine wave, and the request bodies that carry them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import orjson

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
POINTS_PER_DAY = 144  # one every 10 minutes


def value_of(series: int, k: int) -> float:
    """The k-th point of a series: a daily sine wave around 20 + series."""
    return round(20 + 5 * math.sin(k / POINTS_PER_DAY * 2 * math.pi) + series, 3)


@dataclass
class Dataset:
    """What is written, and the expectations it gives each read."""

    ids: list[int]
    days: int
    stamps: list[str] = field(init=False)

    def __post_init__(self) -> None:
        step = dt.timedelta(minutes=10)
        self.stamps = [(START + step * k).isoformat() for k in range(self.days * POINTS_PER_DAY)]

    @property
    def per_series(self) -> int:
        return len(self.stamps)

    @property
    def total(self) -> int:
        return self.per_series * len(self.ids)

    @property
    def end(self) -> str:
        return (START + dt.timedelta(days=self.days)).isoformat()

    def values(self, index: int) -> list[float]:
        return [value_of(index, k) for k in range(self.per_series)]


def json_bodies(data: Dataset, indexes: list[int], points_per_request: int) -> list[tuple[bytes, int]]:
    rows = max(1, points_per_request // len(indexes))
    bodies = []
    for low in range(0, data.per_series, rows):
        high = min(data.per_series, low + rows)
        body = {str(data.ids[i]): {data.stamps[k]: value_of(i, k) for k in range(low, high)} for i in indexes}
        bodies.append((orjson.dumps(body), (high - low) * len(indexes)))
    return bodies


def csv_bodies(data: Dataset, indexes: list[int], points_per_request: int) -> list[tuple[bytes, int]]:
    rows = max(1, points_per_request // len(indexes))
    header = "Datetime," + ",".join(str(data.ids[i]) for i in indexes)
    bodies = []
    for low in range(0, data.per_series, rows):
        high = min(data.per_series, low + rows)
        lines = [header]
        for k in range(low, high):
            lines.append(data.stamps[k] + "," + ",".join(str(value_of(i, k)) for i in indexes))
        bodies.append((("\n".join(lines) + "\n").encode(), (high - low) * len(indexes)))
    return bodies
