"""Limits on what an input file may make the readers do — one object, set from the environment.

Every reader (:func:`countyzero.core.io.read_document`) refuses, with an :class:`~countyzero.core.errors.InputError`
naming the file, a document that would cost far more to read than its size suggests: an XLSX zip bomb, a YAML
"billion laughs" alias bomb, nesting deep enough to exhaust the interpreter's stack. The limits are settings
(environment ``COUNTYZERO_MAX_<NAME>``, e.g. ``COUNTYZERO_MAX_XLSX_COMPRESSION_RATIO=50``); the platform reads them
through :class:`countyzero.settings.Settings` (``settings.limits``), the command line through
:func:`input_limits`. The size of an upload itself is ``Settings.max_upload_bytes``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from countyzero.core.errors import InputError

MIB = 1024 * 1024


class InputLimits(BaseSettings):
    """Ceilings on the work a single input file may cause (defaults and their reasons in each description)."""

    model_config = SettingsConfigDict(env_prefix="COUNTYZERO_MAX_", extra="ignore", frozen=True)

    xlsx_uncompressed_bytes: int = Field(
        default=256 * MIB, gt=0,
        description="Sum of the uncompressed sizes of an XLSX file's zip members, checked before the workbook is "
                    "parsed. 256 MiB is about 5 million cells of sheet XML; a 100,000-row, 7-column workbook "
                    "made by openpyxl is 38 MB uncompressed.")
    xlsx_compression_ratio: float = Field(
        default=100.0, gt=1,
        description="Uncompressed / compressed size of an XLSX file's members together. 100 is Apache POI's "
                    "ZipSecureFile default (minimum inflate ratio 0.01); ordinary workbooks measure 4 to 16.")
    xlsx_columns: int = Field(
        default=1000, gt=0,
        description="Columns of a sheet's header row. A sheet has at most 16,384; a sparse cell far to the right "
                    "would make every row that wide. Input tables have tens of columns (baoting_activities.csv: 12).")
    yaml_alias_nodes: int = Field(
        default=100_000, gt=0,
        description="Nodes that YAML aliases may add when expanded (a 'billion laughs' document adds 10^9). "
                    "Like the alias budget of Go's yaml.v3; anchors for shared defaults add a few nodes each.")
    nesting_depth: int = Field(
        default=100, gt=0,
        description="Depth of nested mappings and lists in a YAML or JSON document, well below Python's "
                    "recursion limit of 1000 (parsers and validators recurse); the example inputs nest at most 7 "
                    "levels deep.")
    monte_carlo_draws: int = Field(
        default=100_000, gt=0,
        description="Monte Carlo draws one request may ask for (roadmaps, challenge entries, buildings). The "
                    "engines' defaults are 1,000–10,000; IPCC 2006 Vol. 1 Ch. 3 (Approach 2) notes that results "
                    "stabilise with a few thousand iterations, so 100,000 leaves ample room while one request "
                    "cannot occupy the server for hours.")


def input_limits() -> InputLimits:
    """The limits in force: defaults overridden by ``COUNTYZERO_MAX_*`` environment variables."""
    return InputLimits()


def whole_number(value: Any, field: str, *, ceiling: int | None = None) -> int | None:
    """``value`` as a whole number ≥ 0 (``None`` stays ``None``), at most ``ceiling``; else an InputError naming
    ``field``."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{field} must be a whole number ≥ 0", field=field)
    if ceiling is not None and value > ceiling:
        raise InputError(f"{field} must be at most {ceiling:,} (COUNTYZERO_MAX_MONTE_CARLO_DRAWS)", field=field)
    return value


def draws(value: Any, field: str = "draws") -> int | None:
    """A Monte Carlo draw count within ``InputLimits.monte_carlo_draws``."""
    return whole_number(value, field, ceiling=input_limits().monte_carlo_draws)
