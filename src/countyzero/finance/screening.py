"""Screening a project against the EU Taxonomy, the Common Ground Taxonomy and China's catalogues.

For each framework: eligibility (the activity, and *how* it was matched — declared in the project file or
crosswalked through a rulebook's recorded equivalence; never by keyword or NACE code), each criterion's
verdict with its value, threshold, unit, legal reference and evidence, and the overall status
``aligned | eligible_not_aligned | not_eligible | incomplete``. Missing data is never a pass; a value given
without an evidence document is evaluated but flagged ``unevidenced``.

Example
-------
>>> from datetime import date
>>> from countyzero.finance.model import ProjectFile
>>> from countyzero.finance.screening import screen_project
>>> p = ProjectFile.model_validate({"project": {"name": "hydro", "date": "2026-03-01"},
...     "activity": {"eu": "4.5"}, "metrics": {"power_density_w_per_m2": 5.0}})
>>> screen_project(p, frameworks=["eu"])["frameworks"]["eu"]["status"]
'eligible_not_aligned'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from countyzero.core.errors import InputError
from countyzero.core.trace import Provenance, sha256_of
from countyzero.core.units import Q_, conversion_factor, parse_unit
from countyzero.finance.criteria import (
    NOT_ELIGIBLE,
    STATUSES,
    VERDICTS,
    FloatArray,
    evaluate_activity,
    requirements,
)
from countyzero.finance.model import DNSH_KEYS, Evidence, ProjectFile
from countyzero.finance.rulebook import (
    FRAMEWORKS,
    QUALITY_RANK,
    Activity,
    Criterion,
    Framework,
    Rulebook,
    default_rulebooks,
    metric_catalogue,
)

MetricValue = float | bool | str


def normalise_metric(name: str, raw: Any, field: str = "") -> MetricValue:
    """A metric value in its canonical form: numbers converted to the metric's unit, booleans, enum values.

    Numbers may be given bare (in the documented unit), as ``"5 W/m²"`` or as ``{value: 5, unit: W/m**2}``.

    Raises
    ------
    InputError
        Unknown metric, wrong type, unknown or incompatible unit, value not in the documented list.
    """
    field = field or f"metrics.{name}"
    spec = metric_catalogue().get(name)
    if spec is None:
        raise InputError(f"unknown metric {name!r} (see docs/finance.md for the documented names)", field=field)
    if spec.type == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise InputError(f"expected true or false, got {raw!r}", field=field)
    if spec.type == "enum":
        if not isinstance(raw, str) or raw not in spec.values:
            raise InputError(f"expected one of {', '.join(spec.values)}, got {raw!r}", field=field)
        return raw
    assert spec.unit is not None
    if isinstance(raw, bool):
        raise InputError(f"expected a number in {spec.unit}, got {raw!r}", field=field)
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        if isinstance(raw, dict) and set(raw) == {"value", "unit"} and isinstance(raw["value"], int | float):
            magnitude, unit = float(raw["value"]), str(raw["unit"])
        elif isinstance(raw, str):
            try:
                quantity: Any = Q_(raw)
            except Exception:
                raise InputError(f"cannot read {raw!r} as a quantity", field=field) from None
            if isinstance(quantity, int | float):
                magnitude, unit = float(quantity), "dimensionless"
            else:
                magnitude, unit = float(quantity.magnitude), str(quantity.units)
        else:
            raise InputError(f"expected a number in {spec.unit}, got {raw!r}", field=field)
        try:
            parse_unit(unit)
            value = magnitude * conversion_factor(unit, spec.unit)
        except InputError as exc:
            raise InputError(f"{exc.message}; {name} is in {spec.unit}", field=field) from None
    if not np.isfinite(value):
        raise InputError(f"{value} is not a finite number", field=field)
    return value


def _as_float(name: str, value: MetricValue) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return float(metric_catalogue()[name].values.index(value))
    return float(value)


def _read_link(path: str, base_dir: Path | None, field: str, keys: Iterable[str]) -> tuple[dict[str, Any], str, str]:
    if base_dir is None:  # an uploaded document: its links must never open files on the server
        raise InputError("linked results are read beside a project file on disk only; give the values "
                         "(metrics, evidence) in the document instead", field=field)
    resolved = Path(path) if Path(path).is_absolute() else base_dir / path
    try:
        content = resolved.read_bytes()
        data = json.loads(content)
    except OSError as exc:
        raise InputError(f"cannot read linked result: {exc.strerror}", field=field, file=str(resolved)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"linked result is not JSON: {exc.msg}", field=field, file=str(resolved)) from None
    except (ValueError, RecursionError) as exc:  # not UTF-8, an integer of 5,000 digits, nesting too deep
        raise InputError(f"linked result is not readable JSON ({type(exc).__name__})", field=field,
                         file=str(resolved)) from None
    if not isinstance(data, dict):
        raise InputError("linked result must be a JSON object", field=field, file=str(resolved))
    for key in keys:
        if key not in data:
            raise InputError(f"linked result has no {key!r}", field=field, file=str(resolved))
    return data, str(resolved), sha256_of(content)


def resolve_inputs(project: ProjectFile, base_dir: Path | None = None
                   ) -> tuple[dict[str, MetricValue], dict[str, Evidence], list[str], dict[str, Any]]:
    """Validated metrics and evidence, with values taken from linked engine results.

    Links (documented JSON outputs of other engines, never their code):

    * ``links.buildings_result`` (buildings assessment: ``total_kgco2e``, ``per_m2_kgco2e``, ``modules``):
      a result with per-module values is the life-cycle GWP "calculated for each stage" of Annex I
      Section 7.1 point 3 → ``lifecycle_gwp_disclosed``, evidence = that file (quality ``reported``); a result
      of the ``gbt51366`` method is the carbon calculation the China 2025 catalogue's item 6.1.2 asks for
      (备注 1) → ``gbt51366_carbon_calculated``.
    * ``links.credits_result`` (credits estimate: ``total_issuable_tco2e``, ``vintages``): used as
      ``climate_benefit_tco2e`` when the project gives none, quality ``estimated`` (a proxy: the Act asks
      for a 30-year balance against a baseline).
    """
    metrics: dict[str, MetricValue] = {}
    for name, raw in project.metrics.items():
        metrics[name] = normalise_metric(name, raw)
    for name in project.evidence:
        known = name in metric_catalogue() or name == "minimum_safeguards" or (
            name.startswith("dnsh.") and name[5:] in DNSH_KEYS)
        if not known:
            raise InputError(f"evidence for unknown metric {name!r}", field=f"evidence.{name}")
    evidence = dict(project.evidence)
    notes: list[str] = []
    linked: dict[str, Any] = {}
    if project.links.buildings_result:
        data, path, digest = _read_link(project.links.buildings_result, base_dir, "links.buildings_result",
                                        ("total_kgco2e", "per_m2_kgco2e", "modules"))
        linked["buildings"] = {"file": path, "sha256": digest, "total_kgco2e": data["total_kgco2e"],
                               "per_m2_kgco2e": data["per_m2_kgco2e"]}
        if data["modules"] and "lifecycle_gwp_disclosed" not in metrics:
            metrics["lifecycle_gwp_disclosed"] = True
            evidence.setdefault("lifecycle_gwp_disclosed",
                                Evidence(document=path, sha256=digest, page=None, quality="reported"))
            notes.append(f"lifecycle_gwp_disclosed from the buildings result {path} (modules: "
                         f"{', '.join(map(str, data['modules']))})")
        if data.get("method") == "gbt51366" and "gbt51366_carbon_calculated" not in metrics:
            metrics["gbt51366_carbon_calculated"] = True
            evidence.setdefault("gbt51366_carbon_calculated",
                                Evidence(document=path, sha256=digest, page=None, quality="reported"))
            notes.append(f"gbt51366_carbon_calculated from the buildings result {path} (method gbt51366)")
    if project.links.credits_result:
        data, path, digest = _read_link(project.links.credits_result, base_dir, "links.credits_result",
                                        ("total_issuable_tco2e", "vintages"))
        linked["credits"] = {"file": path, "sha256": digest, "total_issuable_tco2e": data["total_issuable_tco2e"],
                             "vintages": data["vintages"]}
        if "climate_benefit_tco2e" not in metrics:
            metrics["climate_benefit_tco2e"] = normalise_metric("climate_benefit_tco2e",
                                                                data["total_issuable_tco2e"],
                                                                "links.credits_result.total_issuable_tco2e")
            evidence.setdefault("climate_benefit_tco2e",
                                Evidence(document=path, sha256=digest, page=None, quality="estimated"))
            notes.append("climate_benefit_tco2e taken from the credits result's total_issuable_tco2e (estimated "
                         "proxy; the Act asks for a 30-year net balance against a baseline)")
    return metrics, evidence, notes, linked


def governing_framework(books: Mapping[Framework, Rulebook], framework: Framework, on: date,
                        approval_date: date | None) -> tuple[bool, str]:
    """Whether ``framework`` may be applied on ``on`` for a project approved on ``approval_date``, and why.

    The China 2025 catalogue (published 14 July 2025, effective 1 October 2025) does not apply to loans
    approved or bonds registered before its publication; those keep the 2021 catalogue.
    """
    book = books[framework]
    successor = next((b for b in books.values() if b.supersedes == framework), None)
    if framework == "cn2025" and approval_date is not None and book.published and approval_date < book.published:
        return False, f"approved {approval_date} before publication {book.published}: cn2021 governs"
    if book.valid_on(on):
        return True, f"in force on {on}"
    if successor is not None and successor.published and approval_date is not None \
            and approval_date < successor.published and on >= book.valid_from:
        return True, f"superseded, but governs: approved {approval_date} before {successor.id} was published"
    until = book.valid_to.isoformat() if book.valid_to else "open"
    return False, f"{book.label} is valid {book.valid_from}..{until}, not on {on}"


def match_activity(project: ProjectFile, book: Rulebook, field: str) -> tuple[Activity | None, str]:
    """The activity of ``book`` the project belongs to, and how it was matched (recorded in the result)."""
    declared = project.activity.get(book.framework)
    if declared is not None:
        if declared not in book.activities:
            raise InputError(f"unknown activity code {declared!r} for {book.framework} ({book.label}); known: "
                             + ", ".join(sorted(book.activities)), field=field)
        return book.activities[declared], "declared in the project file"
    eu_code = project.activity.get("eu")
    if eu_code is None:
        return None, "no activity code declared for this framework or for eu"
    candidates = [a for a in book.activities.values() if eu_code in a.eu_equivalent]
    if len(candidates) == 1:
        return candidates[0], f"crosswalk: EU activity {eu_code} → {candidates[0].code} ({book.label})"
    if candidates:
        return None, (f"ambiguous crosswalk from EU activity {eu_code}: "
                      + ", ".join(a.code for a in candidates) + f"; declare activity.{book.framework}")
    return None, f"EU activity {eu_code} has no recorded equivalent in {book.label}"


def _evidence_dict(item: Evidence | None) -> dict[str, Any] | None:
    return None if item is None else item.model_dump()


def _criterion_record(criterion: Criterion, verdict: int, value: float, metrics: Mapping[str, MetricValue],
                      evidence: Mapping[str, Evidence], on: date) -> dict[str, Any]:
    metric = criterion.metric
    shown: Any = None
    if metric is not None and not np.isnan(value):
        raw = metrics.get(metric) if not metric.startswith("dnsh.") and metric != "minimum_safeguards" else None
        shown = raw if isinstance(raw, bool | str) else (True if value == 1.0 and raw is None else
                                                          False if value == 0.0 and raw is None else float(value))
    item = evidence.get(metric) if metric else None
    reasons: list[str] = []
    name = VERDICTS[verdict]
    if not criterion.in_force(on):
        reasons.append(f"not in force on {on} (valid {criterion.valid_from or '…'}..{criterion.valid_to or '…'})")
    elif criterion.op == "definition":
        reasons.append("met by the activity definition (activity matched as recorded)")
    elif name == "missing":
        needed = sorted(m for m in criterion.metrics() if m not in metrics)
        if needed:
            reasons.append("no data for " + ", ".join(needed))
        elif criterion.requires_quality:
            reasons.append(f"evidence of quality '{criterion.requires_quality}' required by the act "
                           f"(e.g. independent third-party verification)")
    elif name == "not_applicable" and criterion.applies_if is not None:
        reasons.append("condition of application not met")
    unevidenced = bool(metric and name in ("pass", "fail") and criterion.op != "definition" and item is None)
    record: dict[str, Any] = {
        "id": criterion.id, "kind": criterion.kind, "verdict": name, "value": shown,
        "threshold": criterion.threshold if criterion.threshold is not None else (list(criterion.values) or None),
        "unit": "%" if criterion.unit == "percent" else criterion.unit, "reference": criterion.reference,
        "operator": criterion.op, "metric": metric, "any_of": criterion.any_of,
        "evidence": _evidence_dict(item), "unevidenced": unevidenced,
        "text_en": criterion.en, "text_zh": criterion.zh, "verification": criterion.verification,
        "reason": "; ".join(reasons),
    }
    if criterion.op == "reduction_ge" and criterion.ref_metric:
        record["inputs"] = {criterion.metric: metrics.get(criterion.metric or ""),
                            criterion.ref_metric: metrics.get(criterion.ref_metric)}
    return record


def screen_framework(project: ProjectFile, book: Rulebook, on: date, metrics: Mapping[str, MetricValue],
                     evidence: Mapping[str, Evidence]) -> dict[str, Any]:
    """One framework's verdicts for one project (see the module docstring for the rules)."""
    activity, matched_by = match_activity(project, book, f"activity.{book.framework}")
    base = {"rulebook": {"id": book.id, "version": book.version, "sha256": book.sha256, "file": book.file},
            "matched_by": matched_by, "notes": list(book.notes)}
    if activity is None:
        return {"activity": None, "eligible": False, "status": STATUSES[NOT_ELIGIBLE], "criteria": [], **base}
    columns: dict[str, FloatArray] = {name: np.array([_as_float(name, v)]) for name, v in metrics.items()}
    for key, flag in project.dnsh.items():
        columns[f"dnsh.{key}"] = np.array([1.0 if flag else 0.0])
    if project.minimum_safeguards is not None:
        columns["minimum_safeguards"] = np.array([1.0 if project.minimum_safeguards else 0.0])
    quality = {name: np.array([float(QUALITY_RANK[e.quality])]) for name, e in evidence.items()}
    status, verdicts, values = evaluate_activity(activity, columns, 1, on, quality)
    criteria = [_criterion_record(c, int(verdicts[c.id][0]), float(values[c.id][0]), metrics, evidence, on)
                for c in activity.criteria]
    reqs = requirements(activity, verdicts)
    return {
        "activity": activity.code, "activity_name_en": activity.name_en, "activity_name_zh": activity.name_zh,
        "contribution": activity.contribution, "eligible": True, "status": STATUSES[int(status[0])],
        "criteria": criteria,
        "requirements": {key: VERDICTS[int(v[0])] for key, v in reqs.items()},
        "failed": [c["id"] for c in criteria if c["verdict"] == "fail"],
        "missing": [c["id"] for c in criteria if c["verdict"] == "missing"],
        "unevidenced": [c["id"] for c in criteria if c["unevidenced"]],
        **base, "notes": list(book.notes) + list(activity.notes),
    }


def compare_frameworks(frameworks: Mapping[str, Any]) -> dict[str, Any]:
    """Side-by-side view: do the frameworks agree on the status, and where do they differ (mutual recognition)."""
    statuses = {fw: r["status"] for fw, r in frameworks.items()}
    distinct = sorted(set(statuses.values()))
    differences = []
    if len(distinct) > 1:
        for fw, result in frameworks.items():
            differences.append({"framework": fw, "status": result["status"],
                                "failed": result.get("failed", []), "missing": result.get("missing", []),
                                "matched_by": result.get("matched_by")})
    return {"statuses": statuses, "agree": len(distinct) <= 1, "differences": differences}


def screen_project(project: ProjectFile, *, on: date | None = None,
                   frameworks: Iterable[Framework] | None = None,
                   rulebooks: Mapping[Framework, Rulebook] | None = None, base_dir: Path | None = None,
                   input_sha256: str = "") -> dict[str, Any]:
    """Screen a project under each framework on the assessment date.

    Parameters
    ----------
    project : ProjectFile
        The validated project file.
    on : date, optional
        Assessment date; default ``project.date``. Dated thresholds (e.g. Annex I Section 6.5: < 50 gCO2/km
        until 31 Dec 2025, 0 from 1 Jan 2026) are applied as in force on this date.
    frameworks : iterable of ``eu``, ``cgt``, ``cn2021``, ``cn2025``, optional
        Default: every framework that applies on ``on`` (the China catalogue that governs the project).
    rulebooks : mapping, optional
        Default: the shipped rulebooks.

    Returns
    -------
    dict
        ``{"project", "date", "frameworks": {fw: {"activity", "eligible", "status", "criteria": [...]}},
        "comparison", "notes", "provenance"}`` — the JSON contract of docs/finance.md.

    Raises
    ------
    InputError
        Unknown activity code or metric, wrong unit or type, bad evidence hash, or a framework requested
        for a date outside its rulebook's validity (field ``date``).
    """
    books = rulebooks or default_rulebooks()
    on = on or project.project.date
    requested = list(frameworks) if frameworks is not None else list(FRAMEWORKS)
    explicit = frameworks is not None
    metrics, evidence, notes, linked = resolve_inputs(project, base_dir)
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for framework in requested:
        ok, why = governing_framework(books, framework, on, project.project.approval_date)
        if not ok:
            if explicit and len(requested) == 1:
                raise InputError(why, field="date")
            skipped[framework] = why
            continue
        results[framework] = screen_framework(project, books[framework], on, metrics, evidence)
        results[framework]["applies_because"] = why
    if not results:
        raise InputError(f"no rulebook is valid on {on}: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()),
                         field="date")
    provenance = Provenance(
        engine="countyzero.finance.screening", method="criterion-by-criterion screening",
        factor_set_version="not used", factor_set_digest="", gwp_set="not used",
        input_sha256=input_sha256 or sha256_of(project.model_dump(mode="json")),
        extra={"rulebooks": {fw: f"{books[fw].label} sha256:{books[fw].sha256}"  # type: ignore[index]
                             for fw in results},
               "assessment_date": on.isoformat()},
    )
    return {
        "project": project.project.model_dump(mode="json"), "date": on.isoformat(), "frameworks": results,
        "skipped": skipped, "comparison": compare_frameworks(results), "notes": notes, "linked": linked,
        "provenance": provenance.to_dict(),
    }
