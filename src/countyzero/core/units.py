"""The one pint unit registry of CountyZero.

Engines work on magnitudes in known units and convert at their boundaries with :func:`convert`
(or :func:`conversion_factor`, cached, for hot loops). Extra units (tCO2e, kgce, tce, mu …) are defined
in ``units.txt`` beside this module, each with its source.

Example
-------
>>> from countyzero.core.units import convert
>>> convert(1, "MWh", "GJ")
3.6
"""

from __future__ import annotations

import tokenize
from functools import lru_cache
from importlib.resources import files

import pint

from countyzero.core.errors import UnitError

_SUPERSCRIPTS = str.maketrans({"²": "**2", "³": "**3", "·": "*", "×": "*"})


def _preprocess(text: str) -> str:
    return text.translate(_SUPERSCRIPTS)


def _build_registry() -> pint.UnitRegistry:
    registry: pint.UnitRegistry = pint.UnitRegistry(preprocessors=[_preprocess], autoconvert_offset_to_baseunit=True)
    registry.load_definitions(str(files("countyzero.core").joinpath("units.txt")))
    return registry


ureg: pint.UnitRegistry = _build_registry()
Q_ = ureg.Quantity


@lru_cache(maxsize=4096)
def parse_unit(unit: str) -> pint.Unit:
    """Parse a unit string; raise :class:`UnitError` when pint does not know it."""
    try:
        return ureg.Unit(unit)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError, AssertionError, tokenize.TokenError, SyntaxError) as exc:
        raise UnitError(f"unknown unit {unit!r}") from exc


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier that turns a magnitude in ``from_unit`` into ``to_unit``.

    Raises
    ------
    UnitError
        If either unit is unknown or the two are not of the same dimension.
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return float(Q_(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}") from exc


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a magnitude between units (see :func:`conversion_factor`)."""
    return value * conversion_factor(from_unit, to_unit)


@lru_cache(maxsize=4096)
def is_convertible(from_unit: str, to_unit: str) -> bool:
    """True when ``from_unit`` converts to ``to_unit`` (both known, same dimension)."""
    try:
        conversion_factor(from_unit, to_unit)
    except UnitError:
        return False
    return True
