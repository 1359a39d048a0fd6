"""Checks of the server's answers against the data written: a fast answer with wrong data is no pass.

Each check takes the response and returns "" when it is right, else "wrong: <what>"."""

from __future__ import annotations

import math

import httpx
import orjson
from bench_data import Dataset


class AnswerChecks:
    def __init__(self, data: Dataset) -> None:
        self.data = data

    def raw_json(self, response: httpx.Response) -> str:
        got = sum(len(points) for points in orjson.loads(response.content).values())
        return "" if got == self.data.total else f"wrong: {got:,} points instead of {self.data.total:,}"

    def raw_csv(self, response: httpx.Response) -> str:
        lines = response.content.rstrip(b"\n").split(b"\n")
        columns = lines[0].count(b",") + 1
        values = sum(1 for line in lines[1:] for cell in line.split(b",")[1:] if cell.strip())
        if columns != len(self.data.ids) + 1 or values != self.data.total:
            return f"wrong: {values:,} values in {len(lines) - 1:,} rows x {columns} columns"
        return ""

    def buckets(self, response: httpx.Response) -> list[list[float]]:
        """Each series' non-empty bucket values, in the order of the ids."""
        body = orjson.loads(response.content)
        return [[v for v in body.get(str(i), {}).values() if v is not None] for i in self.data.ids]

    def hourly(self, response: httpx.Response) -> str:
        buckets = self.buckets(response)
        counts = {len(values) for values in buckets}
        if counts != {self.data.days * 24}:
            return f"wrong: {sorted(counts)} hourly buckets per series"
        for index, values in enumerate(buckets):  # 6 points an hour: the mean of the means is the mean
            expected = math.fsum(self.data.values(index)) / self.data.per_series
            if not math.isclose(math.fsum(values) / len(values), expected, rel_tol=1e-9):
                return f"wrong: hourly averages of series {self.data.ids[index]}"
        return ""

    def count(self, response: httpx.Response) -> str:
        got = sum(sum(values) for values in self.buckets(response))
        return (
            "" if got == self.data.total else f"wrong: counted {got:,} points instead of {self.data.total:,}"
        )

    def total(self, response: httpx.Response) -> str:
        for index, values in enumerate(self.buckets(response)):
            expected = math.fsum(self.data.values(index))
            if not math.isclose(math.fsum(values), expected, rel_tol=1e-9):
                return f"wrong: series {self.data.ids[index]} sums to {math.fsum(values)}, not {expected}"
        return ""

    def maximum(self, response: httpx.Response) -> str:
        for index, values in enumerate(self.buckets(response)):
            if not values or max(values) != max(self.data.values(index)):
                return f"wrong: maximum of series {self.data.ids[index]}"
        return ""

    def stats(self, response: httpx.Response) -> str:
        stats = orjson.loads(response.content)["stats"]
        for index, series in enumerate(self.data.ids):
            got = stats[str(series)]
            if got["count"] < self.data.per_series or got["max"] < max(self.data.values(index)):
                return f"wrong: stats of series {series}"
        return ""
