"""Unit registry (pint) with BEMServer's extra units, and the UnitSymbol field type."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import pint
from pydantic import AfterValidator

EXTRA_DEFINITIONS = """
heating_celsius_degree_hour = delta_degree_Celsius * hour = degreeC_HDH
heating_celsius_degree_day = delta_degree_Celsius * day = degreeC_HDD
heating_fahrenheit_degree_hour = delta_degree_Fahrenheit * hour = degreeF_HDH
heating_fahrenheit_degree_day = delta_degree_Fahrenheit * day = degreeF_HDD
ratio = 1
"""

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
for line in EXTRA_DEFINITIONS.strip().splitlines():
    ureg.define(line)


class UnitError(ValueError):
    """Unknown unit symbol."""


class DimensionalityError(ValueError):
    """Units that cannot be converted into each other."""


@lru_cache(maxsize=1024)
def parse_unit(symbol: str) -> pint.Unit:
    if symbol == "":
        return ureg.dimensionless
    try:
        return ureg.Unit(symbol)
    except Exception as exc:  # pint raises several unrelated error types
        raise UnitError("Undefined unit.") from exc


def _validate(symbol: str) -> str:
    parse_unit(symbol)
    return symbol


UnitSymbol = Annotated[str, AfterValidator(_validate)]


@lru_cache(maxsize=1024)
def conversion(src: str, dst: str) -> tuple[float, float]:
    """(scale, offset) such that value_dst = value_src * scale + offset."""
    try:
        zero = ureg.Quantity(0.0, parse_unit(src)).m_as(parse_unit(dst))
        one = ureg.Quantity(1.0, parse_unit(src)).m_as(parse_unit(dst))
    except pint.DimensionalityError as exc:
        raise DimensionalityError(str(exc)) from exc
    return one - zero, zero
