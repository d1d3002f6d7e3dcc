"""Product EPDs (ILCD+EPD JSON or LCAx EPD JSON) as rows of the factor library (docs/buildings.md §EPD).

An EPD is read by the maintained ``lcax`` package — :func:`lcax.convert_ilcd` for ILCD+EPD, :meth:`lcax.EPD.loads`
for LCAx — and its global-warming indicator becomes one factor row per declared module, per declared unit:

* the module rows carry **GWP-total** (EN 15804+A2; the indicator ``GWP`` of an EN 15804+A1 EPD), which under
  A2's −1/+1 rule already includes biogenic uptake (A1–A3) and release (C3/C4);
* ``biogenic`` carries **GWP-biogenic of A1–A3** where the EPD declares it: a memo item, reported as the
  building's ``biogenic_carbon_kgco2e`` and never added to the total again.

Rows are ``epd.<id>.<module>`` (id from the EPD's UUID), activity ``epd.<id>``, factor set ``epd``; the A1–A3 row
has the parameter of every material factor, and C1–C4, D and biogenic have the parameters the building engine
reads beside it (:data:`countyzero.buildings.engine.DECLARED_MODULE_PARAMETERS`). A4 and A5 are the EPD's own
scenarios, kept as rows for reference; an assessment computes A4 from the BOQ's transport and A5 from its losses
and site energy. The rows are validated by the library's own row model and parsed back before anything is written.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from countyzero.buildings.engine import DECLARED_MODULE_PARAMETERS, MATERIAL_PARAMETER
from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of
from countyzero.factors.library import COLUMNS, GLOBAL, Factor, read_factor_rows

FACTOR_SET = "epd"
MODULE_PARAMETERS: dict[str, str] = {
    "a1a3": MATERIAL_PARAMETER, "a4": "embodied_carbon_a4", "a5": "embodied_carbon_a5",
    **{key: DECLARED_MODULE_PARAMETERS[key] for key in ("c1", "c2", "c3", "c4", "d")},
}
"""LCAx life-cycle module → parameter of its factor row (modules an EPD may declare for a building product)."""
BIOGENIC = "biogenic"
DECLARED_UNITS: dict[str, str] = {
    "m": "m", "m2": "m**2", "m3": "m**3", "kg": "kg", "tones": "t", "pcs": "pcs", "kwh": "kWh", "l": "L",
}
"""LCAx declared unit → unit of the CountyZero registry. ``m2r1`` (1 m² at R = 1 m²K/W), ``km``, ``tones_km``,
``kgm3`` and ``unknown`` have no BOQ quantity to multiply and are refused."""
THIRD_PARTY_REVIEWS = frozenset({
    "independent external review", "accredited third party review", "independent review panel",
})
"""ILCD ``ReviewType`` values (ILCD format 1.1, ``common:ReviewType``) that are third-party verification."""
INDICATOR_TEXT = {"en15804a2": "GWP-total (EN 15804+A2)", "en15804a1": "GWP (EN 15804+A1)"}


@dataclass
class EPDImport:
    """The factor rows of one EPD file, and what the importer warns about."""

    file: str
    epd_id: str
    name: str
    rows: list[Factor]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "epd_id": self.epd_id, "name": self.name, "warnings": self.warnings,
                "rows": [row.model_dump(mode="json", exclude={"origin"}) for row in self.rows]}


@dataclass
class _Declaration:
    """What a factor row needs from an EPD, whatever its format."""

    id: str
    name_en: str
    name_zh: str
    declared_unit: str
    standard: str
    gwp: dict[str, float]
    gwp_biogenic: float | None
    region: str
    reference_year: int
    valid_until: date
    valid_field: str
    owner: str = ""
    registration_number: str = ""
    verified: bool = False
    review: str = "no review declared"
    licence: str = ""
    url: str = ""
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _alpha2() -> dict[str, str]:
    """LCAx country code (ISO 3166-1 alpha-3, lower case) → alpha-2, from lcax's own table."""
    import lcax

    out: dict[str, str] = {}
    for first, second in itertools.product("ABCDEFGHIJKLMNOPQRSTUVWXYZ", repeat=2):
        country = lcax.Country.from_string(first + second)
        if country != lcax.Country.UNKNOWN:
            out[str(country).removeprefix("Country.").lower()] = first + second
    return out


def _lcax_error(exc: Exception, what: str, file: str, tree: dict[str, Any]) -> InputError:
    """lcax's (serde's) message as an InputError; the field is the one named missing, or the top-level key whose
    value is the unknown variant."""
    text = str(exc)
    missing = re.search(r"missing field `([^`]+)`", text)
    variant = re.search(r"unknown variant `([^`]+)`", text)
    field_name = missing.group(1) if missing else next(
        (key for key, value in tree.items() if variant and value == variant.group(1)), None)
    return InputError(f"not a valid {what}: {text}", file=file, field=field_name)


def _text(values: Any, lang: str) -> str:
    """The ILCD multi-language string in ``lang`` ('' when absent)."""
    for item in values if isinstance(values, list) else []:
        if isinstance(item, dict) and item.get("lang") == lang and item.get("value"):
            return str(item["value"]).strip()
    return ""


def _get(tree: Any, *keys: str) -> Any:
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def _common(epd: dict[str, Any], file: str) -> dict[str, Any]:
    """Fields of an LCAx EPD (camelCase dict of ``lcax.EPD.dumps``) that both formats share."""
    unit = str(epd.get("declaredUnit", "unknown"))
    if unit not in DECLARED_UNITS:
        raise InputError(f"declared unit {unit!r} cannot be used for a BOQ factor (use one of "
                         f"{', '.join(DECLARED_UNITS)})", file=file, field="declaredUnit")
    impacts = epd.get("impacts") or {}
    gwp = {k: float(v) for k, v in (impacts.get("gwp") or {}).items() if v is not None}
    if "a1a3" not in gwp:
        declared = sorted(k for k in impacts if k.startswith("gwp") and impacts[k])
        raise InputError("no GWP-total (EN 15804+A2) or GWP (A1) indicator for A1-A3"
                         + (f"; declared: {', '.join(declared)}" if declared else ""),
                         file=file, field="impacts.gwp.a1a3")
    biogenic = (impacts.get("gwp_bio") or {}).get("a1a3")
    notes = []
    for conversion in epd.get("conversions") or []:
        notes.append(f"conversion: {conversion.get('value'):g} {conversion.get('to')} per {unit}")
    if epd.get("referenceServiceLife"):
        notes.append(f"reference service life {epd['referenceServiceLife']} a")
    unused = sorted(set(gwp) - set(MODULE_PARAMETERS))
    if unused:
        notes.append(f"modules {', '.join(m.upper() for m in unused)} declared but not imported")
    return {"id": str(epd.get("id", "")), "declared_unit": DECLARED_UNITS[unit], "standard": str(epd.get("standard")),
            "gwp": {k: v for k, v in gwp.items() if k in MODULE_PARAMETERS},
            "gwp_biogenic": float(biogenic) if biogenic is not None else None, "notes": notes}


def _from_ilcd(text: str, tree: dict[str, Any], file: str) -> _Declaration:
    import lcax

    try:
        epd = json.loads(lcax.convert_ilcd(text).dumps())
    except (TypeError, ValueError) as exc:
        raise _lcax_error(exc, "ILCD+EPD data set", file, tree) from None
    info = _get(tree, "processInformation", "dataSetInformation") or {}
    names = _get(info, "name", "baseName")
    name_en = _text(names, "en") or str(epd.get("name") or "")
    ownership = _get(tree, "administrativeInformation", "publicationAndOwnership") or {}
    reviews = _get(tree, "modellingAndValidation", "validation", "review") or []
    review_types = [str(r.get("type", "")) for r in reviews if isinstance(r, dict)]
    year_valid = _get(tree, "processInformation", "time", "dataSetValidUntil")
    location = str(_get(tree, "processInformation", "geography", "locationOfOperationSupplyOrProduction",
                        "location") or "")
    return _Declaration(
        **_common(epd, file), name_en=name_en, name_zh=_text(names, "zh") or name_en,
        region=GLOBAL if location in ("", "GLO") else location.upper(),
        reference_year=int(_get(tree, "processInformation", "time", "referenceYear")),
        valid_until=date(int(year_valid), 12, 31), valid_field="processInformation.time.dataSetValidUntil",
        owner=_text(_get(ownership, "referenceToOwnershipOfDataSet", "shortDescription"), "en"),
        registration_number=str(ownership.get("registrationNumber") or ""),
        verified=any(t.casefold() in THIRD_PARTY_REVIEWS for t in review_types),
        review=", ".join(t for t in review_types if t) or "no review declared",
        licence=str(ownership.get("licenseType") or ""),
    )


def _from_lcax(text: str, tree: dict[str, Any], file: str) -> _Declaration:
    import lcax

    try:
        epd = json.loads(lcax.EPD.loads(text).dumps())
    except (TypeError, ValueError) as exc:
        raise _lcax_error(exc, "LCAx EPD", file, tree) from None
    meta = epd.get("metaData") or {}
    source = epd.get("source") or {}
    name = str(epd.get("name") or "")
    location = str(epd.get("location") or "unknown")
    verified = meta.get("verified") is True
    return _Declaration(
        **_common(epd, file), name_en=name, name_zh=str(meta.get("name_zh") or name),
        region=_alpha2().get(location, GLOBAL), reference_year=date.fromisoformat(epd["publishedDate"]).year,
        valid_until=date.fromisoformat(epd["validUntil"]), valid_field="validUntil", owner=str(meta.get("owner") or ""),
        registration_number=str(meta.get("registration_number") or ""), verified=verified,
        review="third-party verified (metaData.verified)" if verified else "no third-party verification declared",
        licence=str(meta.get("licence") or ""), url=str(source.get("url") or ""),
    )


def _key(epd_id: str, file: str) -> str:
    key = re.sub(r"[^a-z0-9_.+-]+", "-", epd_id.strip().lower()).strip("-.")
    if not key:
        raise InputError("the EPD has no id (UUID) to name its factor rows by", file=file, field="id")
    return key


def read_epd(path: str | Path, *, on: date | None = None) -> EPDImport:
    """Factor rows of the GWP indicator of one EPD file (ILCD+EPD or LCAx EPD JSON), per declared unit.

    Parameters
    ----------
    path : str or Path
        The EPD, as ILCD+EPD JSON (a data set with ``processInformation``) or LCAx EPD JSON.
    on : date, optional
        The date validity is checked on (default: today). An EPD valid until before it is still imported, with
        a warning and ``EXPIRED`` in every row's notes.

    Returns
    -------
    EPDImport
        One row per declared module (A1–A3 required; A4, A5, C1–C4, D; biogenic where declared).

    Raises
    ------
    InputError
        Naming the file and field: unreadable or invalid JSON, a format ``lcax`` rejects, a declared unit that has
        no BOQ quantity, no GWP indicator for A1–A3, an EPD without an id.

    Example
    -------
    >>> from pathlib import Path
    >>> data = Path(__file__).parents[3] / "tests/buildings/data/epd_concrete_c30.ilcd.json"
    >>> rows = read_epd(data, on=date(2026, 1, 1)).rows
    >>> rows[0].id, rows[0].value, rows[0].unit, rows[0].confidence
    ('epd.7a1c2e4f-0b3d-4e5f-8a6b-1c2d3e4f5a6b.a1a3', 260.0, 'kgCO2e/m**3', 'verified')
    """
    file = str(path)
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    try:
        text = content.decode("utf-8")
        tree = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=file) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", file=file, row=exc.lineno) from None
    if not isinstance(tree, dict):
        raise InputError("the file must hold a JSON object", file=file)
    if "processInformation" in tree:
        declaration, kind = _from_ilcd(text, tree, file), "ILCD+EPD"
    elif "declaredUnit" in tree or "impacts" in tree:
        declaration, kind = _from_lcax(text, tree, file), "LCAx EPD"
    else:
        raise InputError("neither an ILCD+EPD data set (processInformation) nor an LCAx EPD (declaredUnit, "
                         "impacts)", file=file, field="processInformation")
    return _rows(declaration, file, kind, sha256_of(content), on or date.today())


def _rows(d: _Declaration, file: str, kind: str, digest: str, on: date) -> EPDImport:
    key = _key(d.id, file)
    indicator = INDICATOR_TEXT.get(d.standard, f"GWP-total ({d.standard}: standard not recognised)")
    warnings: list[str] = []
    notes = [f"{kind} {d.id}", f"review: {d.review}", *d.notes]
    if d.valid_until < on:
        warning = f"EXPIRED: valid until {d.valid_until.isoformat()}, before {on.isoformat()}"
        warnings.append(f"{file}, field {d.valid_field!r}: {warning}")
        notes.insert(0, warning)
    if not d.verified:
        notes.append("not third-party verified: confidence secondary (verify before relying on it)")
    source = "; ".join(part for part in (
        f"EPD {d.name_en}", f"owner {d.owner}" if d.owner else "", f"reg. no. {d.registration_number}"
        if d.registration_number else "", f"reference year {d.reference_year}",
        f"valid until {d.valid_until.isoformat()}", f"file SHA-256 {digest}") if part)
    values: list[tuple[str, str, float, str]] = [
        (module, MODULE_PARAMETERS[module], d.gwp[module], indicator) for module in MODULE_PARAMETERS
        if module in d.gwp]
    if d.gwp_biogenic is not None:
        values.append((BIOGENIC, DECLARED_MODULE_PARAMETERS[BIOGENIC], d.gwp_biogenic,
                       "GWP-biogenic (EN 15804+A2), A1-A3, memo item"))
    rows: list[Factor] = []
    for module, parameter, value, what in values:
        label = "biogenic carbon A1-A3" if module == BIOGENIC else module.upper().replace("A1A3", "A1-A3")
        data = {
            "id": f"epd.{key}.{module}", "parameter": parameter, "activity": f"epd.{key}", "gas": "CO2e",
            "value": value, "unit": f"kgCO2e/{d.declared_unit}", "region": d.region, "year": d.reference_year,
            "factor_set": FACTOR_SET, "name_en": f"{d.name_en}, {label}", "name_zh": f"{d.name_zh}，{label}",
            "source": source, "source_table": f"{what}, module {label}", "url": d.url,
            "licence": d.licence or "terms of the EPD and its programme operator",
            "confidence": "verified" if d.verified else "reported", "biogenic": module == BIOGENIC,
            "notes": "; ".join(notes), "origin": file,
        }
        try:
            rows.append(Factor.model_validate(data))
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InputError(error["msg"], file=file, field=".".join(str(p) for p in error["loc"])) from None
    return EPDImport(file=file, epd_id=d.id, name=d.name_en, rows=rows, warnings=warnings)


def import_epds(paths: Sequence[str | Path], *, on: date | None = None) -> list[EPDImport]:
    """Read several EPD files; an EPD id given twice is an error naming both files."""
    imports: list[EPDImport] = []
    seen: dict[str, str] = {}
    for path in paths:
        result = read_epd(path, on=on)
        for row in result.rows:
            if row.id in seen:
                raise InputError(f"EPD {result.epd_id!r} is also in {seen[row.id]}", file=result.file, field="id")
            seen[row.id] = result.file
        imports.append(result)
    return imports


def factor_csv(rows: Iterable[Factor], origin: str = "EPD import") -> str:
    """The rows as a factor file (``docs/factors.md`` columns), checked by parsing it back with the library's reader.

    Raises
    ------
    FactorDataError
        If the text would not load as a factor file (nothing is written then).
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump(mode="json"))
    text = buffer.getvalue()
    read_factor_rows(text, origin)
    return text
