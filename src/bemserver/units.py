"""Unit registry (pint) with BEMServer's extra units, and the UnitSymbol field type."""

from __future__ import annotations

import difflib
import math
import re
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
normal_cubic_meter = meter ** 3 = Nm3
"""

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
for line in EXTRA_DEFINITIONS.strip().splitlines():
    ureg.define(line)


class UnitError(ValueError):
    """Unknown unit symbol."""


class ConversionError(ValueError):
    """Units whose conversion cannot be computed in floats (a factor out of their range)."""


class DimensionalityError(ConversionError):
    """Units that cannot be converted into each other."""


MAX_SYMBOL = 100
_POWER = re.compile(r"\*\*|\^")
# What may follow a power operator: a small number, not itself raised to a power. pint evaluates
# the symbol's arithmetic with Python numbers, so "9**9**9" or "3**(2**28)" would run for minutes.
_EXPONENT = re.compile(r"\s*[-+]?\s*[0-9]{1,2}(\.[0-9]{1,2})?(?![0-9A-Za-z_.(]|\s*(\*\*|\^))")


def _plain_exponents(symbol: str) -> bool:
    """Powers of a unit or a number only, by a small number ("(9**99)**99" nests too fast)."""
    return all(
        _EXPONENT.match(symbol, power.end()) and not symbol[: power.start()].rstrip().endswith(")")
        for power in _POWER.finditer(symbol)
    )


# Spreadsheet spellings: a unit followed by 2 or 3 is squared or cubed (m3, kWh/m2); tried only when
# pint does not read the symbol as it is (cmH2O stays pint's).
_FRIENDLY_POWER = re.compile(r"(?<=[A-Za-zµ])([23])(?![0-9.])")
# Normal cubic metres (gas volumes): pint would read Nm³ as (newton metre)³... or number_meter³.
_NORMAL_CUBIC = re.compile(r"(?<![A-Za-z_])Nm\s*(?:³|\*\*\s*3|\^\s*3)(?![0-9.])")
UNDEFINED = "Undefined unit."


def _pint_unit(symbol: str) -> pint.Unit:
    return ureg.Unit(symbol)


@lru_cache(maxsize=1024)
def parse_unit(symbol: str) -> pint.Unit:
    """The unit of a symbol: pint's reading, with BEMServer's units (degree days, Nm³...) and the
    spreadsheet spellings m2, m3 (kWh/m2, m3/h). UnitError names close symbols when there are."""
    if symbol == "":
        return ureg.dimensionless
    if "\x00" in symbol or len(symbol) > MAX_SYMBOL or not _plain_exponents(symbol):
        raise UnitError(UNDEFINED)
    symbol = _NORMAL_CUBIC.sub("Nm3", symbol)
    try:
        return _pint_unit(symbol)
    except Exception:  # pint raises several unrelated error types
        pass
    friendly = _FRIENDLY_POWER.sub(r"**\1", symbol)
    if friendly != symbol:
        try:
            return _pint_unit(friendly)
        except Exception:
            pass
    close = close_symbols(symbol)
    raise UnitError(f"{UNDEFINED} Close symbols: {', '.join(close)}." if close else UNDEFINED)


def _defined_symbols() -> tuple[str, ...]:
    """The registry's own unit names and symbols, taken before any symbol is parsed (pint then
    adds the prefixed units it meets, which would make suggestions depend on earlier requests)."""
    names: set[str] = set()
    for name, definition in ureg._units.items():
        names.add(name)
        symbol = getattr(definition, "symbol", None)
        if symbol:
            names.add(symbol)
    return tuple(sorted(names))


_DEFINED = _defined_symbols()
_PREFIXES = tuple(
    sorted({getattr(prefix, "symbol", None) or "" for prefix in ureg._prefixes.values()} - {""})
)


@lru_cache(maxsize=1)
def _by_lowercase() -> dict[str, list[str]]:
    """Lowercased symbol -> the defined symbols and prefixed symbols (kWh, MW...) spelled so."""
    spellings: dict[str, list[str]] = {}
    for symbol in _DEFINED:
        for prefix in ("", *_PREFIXES):
            spelled = prefix + symbol
            spellings.setdefault(spelled.lower(), []).append(spelled)
    return spellings


@lru_cache(maxsize=256)
def close_symbols(symbol: str, count: int = 4) -> list[str]:
    """Known unit symbols that look like `symbol`: the same letters in another case first (with a
    prefix: kwh -> kWh), then similar names."""
    same_case = [spelled for spelled in _by_lowercase().get(symbol.lower(), []) if spelled != symbol]
    similar = difflib.get_close_matches(symbol, _DEFINED, n=count, cutoff=0.75)
    return list(dict.fromkeys([*sorted(same_case, key=len), *similar]))[:count]


def known_unit(symbol: str) -> str:
    parse_unit(symbol)  # raises UnitError (a ValueError): "Undefined unit." and close symbols
    return symbol


UnitSymbol = Annotated[str, AfterValidator(known_unit)]


@lru_cache(maxsize=1024)
def conversion(src: str, dst: str) -> tuple[float, float]:
    """(scale, offset) such that value_dst = value_src * scale + offset."""
    try:
        zero = ureg.Quantity(0.0, parse_unit(src)).m_as(parse_unit(dst))
        one = ureg.Quantity(1.0, parse_unit(src)).m_as(parse_unit(dst))
    except pint.DimensionalityError as exc:
        raise DimensionalityError(str(exc)) from exc
    except ArithmeticError as exc:  # e.g. percent**200: pint's factor overflows
        raise ConversionError(_OUT_OF_RANGE.format(src, dst)) from exc
    scale = one - zero
    if not (math.isfinite(scale) and math.isfinite(zero)) or scale == 0.0:
        raise ConversionError(_OUT_OF_RANGE.format(src, dst))
    return scale, zero


_OUT_OF_RANGE = "Cannot convert from '{}' to '{}': the conversion factor is out of the float range."
