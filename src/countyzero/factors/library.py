"""The sourced factor library.

Every emission factor, calorific value, GWP, default parameter and threshold CountyZero uses is a row of
data with its source, unit, year, region and confidence. Rows live in CSV files (``data/*.csv`` beside
this module; schema in ``docs/factors.md``). Users add or override rows with files of their own, which
never edit the shipped data: a user row with the id of a shipped row replaces it, and the result records
that it did.

Queries are by id (:meth:`FactorLibrary.get`) or by what a factor is for (:meth:`FactorLibrary.find`):
parameter, activity (fuel, grid, waste stream …), gas, factor set, technology, region and year, with a
fixed fallback order that is written into the result so the trace can say which row was used and why.

Example
-------
>>> from countyzero.factors import default_library
>>> lib = default_library()
>>> match = lib.find("emission_factor", "natural_gas", gas="CO2", factor_set="ipcc2006")
>>> match.factor.value, match.factor.unit
(56100.0, 'kg/TJ')
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from countyzero.core.errors import FactorDataError, FactorNotFoundError, UnitError
from countyzero.core.units import parse_unit

Confidence = Literal["verified", "reported", "secondary", "estimate"]
"""``verified``: checked against the primary document; ``reported``: as its producer declares it, not independently
checked (e.g. an EPD without third-party verification); ``secondary``: seen only in secondary sources;
``estimate``: derived or assumed (docs/factors.md)."""
Distribution = Literal["normal", "lognormal", "triangular", "uniform"]

#: Columns of a factor file, in the order the shipped files use. ``docs/factors.md`` documents each.
COLUMNS: tuple[str, ...] = (
    "id", "parameter", "activity", "gas", "value", "unit", "region", "year", "technology", "factor_set",
    "name_en", "name_zh", "source", "source_table", "url", "licence", "confidence",
    "uncertainty_lower", "uncertainty_upper", "distribution", "biogenic", "notes",
)
REQUIRED_COLUMNS = frozenset({
    "id", "parameter", "activity", "value", "unit", "factor_set", "name_en", "name_zh", "source",
    "licence", "confidence",
})
GLOBAL = "GLOBAL"


class Factor(BaseModel):
    """One row of the factor library."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.:+-]*$", description="stable identifier")
    parameter: str = Field(min_length=1, description="what the number is, e.g. emission_factor, ncv")
    activity: str = Field(min_length=1, description="fuel, grid or activity key it applies to")
    gas: str = Field(default="", description="CO2, CH4, N2O, CO2e … ('' for non-gas parameters)")
    value: float
    unit: str = Field(min_length=1)
    region: str = Field(default=GLOBAL, min_length=1)
    year: int | None = None
    technology: str = ""
    factor_set: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    source: str = Field(min_length=3, description="citation: document")
    source_table: str = ""
    url: str = ""
    licence: str = Field(min_length=1)
    confidence: Confidence
    uncertainty_lower: float | None = None
    uncertainty_upper: float | None = None
    distribution: Distribution | None = None
    biogenic: bool = False
    notes: str = ""
    origin: str = Field(default="", description="file the row was loaded from (set by the loader)")

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        try:
            parse_unit(unit)
        except UnitError as exc:
            raise ValueError(str(exc)) from exc
        return unit

    @model_validator(mode="after")
    def _uncertainty_brackets_value(self) -> Factor:
        lo, hi = self.uncertainty_lower, self.uncertainty_upper
        if (lo is None) != (hi is None):
            raise ValueError("give both uncertainty_lower and uncertainty_upper, or neither")
        if lo is not None and hi is not None and not (lo <= self.value <= hi):
            raise ValueError(f"uncertainty range [{lo}, {hi}] does not contain value {self.value}")
        if self.distribution is not None and lo is None:
            raise ValueError("distribution given without an uncertainty range")
        return self

    @property
    def has_uncertainty(self) -> bool:
        return self.uncertainty_lower is not None and self.uncertainty_upper is not None

    @property
    def citation(self) -> str:
        """Source, table and URL in one line, as a trace shows them."""
        parts = [self.source]
        if self.source_table:
            parts.append(self.source_table)
        if self.url:
            parts.append(self.url)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class FactorMatch:
    """A factor found by :meth:`FactorLibrary.find`, with how it was found."""

    factor: Factor
    fallbacks: tuple[str, ...] = ()

    @property
    def fallback_note(self) -> str:
        return "; ".join(self.fallbacks)


def _parse_row(raw: dict[str, str | None], origin: str, row_number: int) -> Factor:
    data: dict[str, object] = {}
    for key, text in raw.items():
        if key is None:
            raise FactorDataError("more values than columns", file=origin, row=row_number)
        value = (text or "").strip()
        if value == "":
            continue
        data[key] = value
    data["origin"] = origin
    try:
        return Factor.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        raise FactorDataError(error["msg"], file=origin, row=row_number, field=field) from None


def read_factor_rows(text: str, origin: str) -> list[Factor]:
    """Parse a factor CSV (its text); validate every row.

    Raises
    ------
    FactorDataError
        Naming the file, row (header = row 1) and field of the first problem. Nothing is returned
        when any row is bad, so a load is all-or-nothing.
    """
    if "\x00" in text:
        raise FactorDataError("text contains a NUL character (is it a binary file?)", file=origin,
                              row=text.count("\n", 0, text.index("\x00")) + 1)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise FactorDataError(f"malformed CSV: {exc}", file=origin, row=1) from None
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise FactorDataError(f"column(s) given twice: {', '.join(twice)}", file=origin, row=1)
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        raise FactorDataError(f"missing column(s) {', '.join(missing)}", file=origin, row=1)
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        raise FactorDataError(f"unknown column(s) {', '.join(unknown)}", file=origin, row=1)
    rows: list[Factor] = []
    seen: dict[str, int] = {}
    try:
        numbered = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise FactorDataError(f"malformed CSV: {exc}", file=origin, row=reader.reader.line_num) from None
    for row_number, raw in numbered:
        factor = _parse_row(raw, origin, row_number)
        if factor.id in seen:
            raise FactorDataError(
                f"duplicate id {factor.id!r} (first at row {seen[factor.id]})",
                file=origin, row=row_number, field="id",
            )
        seen[factor.id] = row_number
        rows.append(factor)
    return rows


def _region_chain(region: str) -> list[str]:
    """CN-HI → [CN-HI, CN, GLOBAL]: the region, its parents by ISO-style prefix, then GLOBAL."""
    chain = []
    parts = region.split("-")
    for end in range(len(parts), 0, -1):
        chain.append("-".join(parts[:end]))
    if chain[-1] != GLOBAL:
        chain.append(GLOBAL)
    return chain


def _technology_chain(technology: str) -> list[str]:
    """mobile.road.catalyst → [mobile.road.catalyst, mobile.road, mobile, '']."""
    if not technology:
        return [""]
    parts = technology.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)] + [""]


class FactorLibrary:
    """An immutable, validated set of factor rows with lookups.

    Build one with :meth:`load` (the shipped data plus optional user files) or :meth:`from_rows`.
    """

    def __init__(self, rows: Sequence[Factor], version: str, digest: str,
                 overrides: Sequence[str] = ()) -> None:
        self._rows: dict[str, Factor] = {row.id: row for row in rows}
        self.version = version
        self.digest = digest
        self.overrides = tuple(overrides)
        self._index: dict[tuple[str, str], list[Factor]] = {}
        self._activities: dict[str, set[str]] = {}
        for row in self._rows.values():
            self._index.setdefault((row.parameter, row.activity), []).append(row)
            self._activities.setdefault(row.parameter, set()).add(row.activity)
        self._find_cached = lru_cache(maxsize=65536)(self._find_uncached)

    # construction -------------------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[Factor], version: str = "custom") -> FactorLibrary:
        rows = list(rows)
        digest = hashlib.sha256("\n".join(r.model_dump_json() for r in rows).encode()).hexdigest()
        return cls(rows, version=version, digest=digest)

    @classmethod
    def load(cls, extra_files: Iterable[str | Path] = ()) -> FactorLibrary:
        """The shipped factor set, plus user files whose rows add to or override it (in order).

        Raises
        ------
        FactorDataError
            If any file breaks the schema; nothing is loaded then.
        """
        data_dir = files("countyzero.factors").joinpath("data")
        version = data_dir.joinpath("VERSION").read_text(encoding="utf-8").strip()
        hasher = hashlib.sha256()
        rows: dict[str, Factor] = {}
        shipped = sorted((p for p in data_dir.iterdir() if p.name.endswith(".csv")), key=lambda p: p.name)
        for path in shipped:
            text = path.read_text(encoding="utf-8")
            hasher.update(path.name.encode() + b"\0" + text.encode())
            for row in read_factor_rows(text, f"factors/data/{path.name}"):
                if row.id in rows:
                    raise FactorDataError(
                        f"id {row.id!r} is also defined in {rows[row.id].origin}",
                        file=row.origin, field="id",
                    )
                rows[row.id] = row
        overrides: list[str] = []
        for extra in extra_files:
            path = Path(extra)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise FactorDataError(f"cannot read factor file: {exc.strerror}", file=str(path)) from None
            except UnicodeDecodeError as exc:
                raise FactorDataError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
            hasher.update(str(path).encode() + b"\0" + text.encode())
            for row in read_factor_rows(text, str(path)):
                if row.id in rows:
                    overrides.append(row.id)
                rows[row.id] = row
            version = f"{version}+user"
        return cls(list(rows.values()), version=version, digest=hasher.hexdigest(), overrides=overrides)

    # access -------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Factor]:
        return iter(self._rows.values())

    def __contains__(self, factor_id: object) -> bool:
        return factor_id in self._rows

    def get(self, factor_id: str) -> Factor:
        """The row with this id; :class:`FactorNotFoundError` when there is none."""
        try:
            return self._rows[factor_id]
        except KeyError:
            raise FactorNotFoundError(f"no factor with id {factor_id!r}") from None

    def activities(self, parameter: str) -> set[str]:
        """Every activity key that has at least one row of this parameter."""
        return self._activities.get(parameter, set())

    def search(self, text: str) -> list[Factor]:
        """Rows whose id, names, activity, parameter or source contain ``text`` (case-insensitive)."""
        needle = text.casefold()
        return [
            row for row in self._rows.values()
            if any(needle in str(v).casefold() for v in (
                row.id, row.name_en, row.name_zh, row.activity, row.parameter, row.source, row.gas))
        ]

    def find(
        self,
        parameter: str,
        activity: str,
        *,
        gas: str = "",
        factor_set: str | Sequence[str] = (),
        technology: str = "",
        region: str | None = None,
        year: int | None = None,
    ) -> FactorMatch:
        """The best row for a purpose, with the fallbacks taken to reach it.

        Order of preference (each step is recorded when it is not the first choice):

        1. factor set: the sets named, in the order given (any set when none is named);
        2. technology: the exact technology, then its parents (``mobile.road.catalyst`` →
           ``mobile.road`` → ``mobile``), then rows without a technology;
        3. region: the region, then its parents (``CN-HI`` → ``CN``), then ``GLOBAL`` (a global default
           is not reported as a fallback); with no region asked, any region (for keys such as grid ids
           that name their region themselves);
        4. year: the same year; else the latest earlier year; else the earliest later year; rows with
           no year apply to any year (used only when no dated row exists).

        Raises
        ------
        FactorNotFoundError
            When no row matches parameter, activity and gas in any of the allowed sets.
        """
        sets = (factor_set,) if isinstance(factor_set, str) else tuple(factor_set)
        return self._find_cached(parameter, activity, gas, sets, technology, region, year)

    def _find_uncached(
        self, parameter: str, activity: str, gas: str, sets: tuple[str, ...], technology: str,
        region: str | None, year: int | None,
    ) -> FactorMatch:
        candidates = [r for r in self._index.get((parameter, activity), []) if r.gas == gas]
        if not candidates:
            raise FactorNotFoundError(
                f"no {parameter} for {activity!r}" + (f" and gas {gas}" if gas else "")
            )
        fallbacks: list[str] = []
        for set_rank, set_name in enumerate(sets or ("",)):
            in_set = [r for r in candidates if not set_name or r.factor_set == set_name]
            if not in_set:
                continue
            if set_rank > 0:
                used = set_name or "another set"
                fallbacks.append(f"factor set {sets[0]} has no {parameter} for {activity} {gas}".rstrip()
                                 + f"; used {used}")
            for tech in _technology_chain(technology):
                by_tech = [r for r in in_set if r.technology == tech]
                if not by_tech:
                    continue
                if tech and tech != technology:
                    fallbacks.append(f"technology {technology} not found; used {tech}")
                for reg in _region_chain(region) if region else [None]:
                    by_region = [r for r in by_tech if reg is None or r.region == reg]
                    if not by_region:
                        continue
                    if reg is not None and reg != region and reg != GLOBAL:
                        fallbacks.append(f"region {region} not found; used {reg}")
                    chosen, note = _pick_year(by_region, year)
                    if note:
                        fallbacks.append(note)
                    return FactorMatch(chosen, tuple(fallbacks))
        wanted = ", ".join(sets) if sets else "any factor set"
        raise FactorNotFoundError(
            f"no {parameter} for {activity!r}" + (f" and gas {gas}" if gas else "")
            + f" in {wanted} for technology {technology or 'generic'} and region {region or 'any'}"
        )


def _pick_year(rows: list[Factor], year: int | None) -> tuple[Factor, str]:
    dated = [r for r in rows if r.year is not None]
    undated = [r for r in rows if r.year is None]
    if year is None:
        if undated:
            return undated[0], ""
        latest = max(dated, key=lambda r: r.year or 0)
        return latest, f"no year asked; used the latest, {latest.year}"
    exact = [r for r in dated if r.year == year]
    if exact:
        return exact[0], ""
    if undated:
        return undated[0], ""
    earlier = [r for r in dated if (r.year or 0) < year]
    if earlier:
        chosen = max(earlier, key=lambda r: r.year or 0)
        return chosen, f"no {year} value; used {chosen.year}, the latest earlier year"
    chosen = min(dated, key=lambda r: r.year or 0)
    return chosen, f"no {year} value or earlier; used {chosen.year}, the earliest later year"


_DEFAULT: FactorLibrary | None = None


def default_library() -> FactorLibrary:
    """The shipped factor set (loaded once per process, on first use — never at import)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = FactorLibrary.load()
    return _DEFAULT
