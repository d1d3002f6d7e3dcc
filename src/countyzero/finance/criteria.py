"""Vectorised evaluation of rulebook criteria — the one implementation behind single-project screening and
portfolio screening, so that a bank screening one loan and a bank screening a million reach the same verdict.

Metric values arrive as float arrays, one per metric, with ``NaN`` for absent data: numbers in the metric's
canonical unit, booleans as 1.0/0.0, enumerations as the index of the value in the metric's documented list.
Verdicts are small integers: :data:`PASS`, :data:`FAIL`, :data:`MISSING`, :data:`NOT_APPLICABLE`.

The rule (Regulation (EU) 2020/852, Art. 3; STYLE.md): **absent data is never a pass**. A criterion whose
metric is absent — or whose applicability cannot be decided because a metric in its condition is absent — is
``missing``; an activity with a missing requirement and no failed one is ``incomplete``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from countyzero.finance.rulebook import QUALITY_RANK, Activity, Condition, Criterion, metric_catalogue

FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]

PASS, FAIL, MISSING, NOT_APPLICABLE = 0, 1, 2, 3
VERDICTS = ("pass", "fail", "missing", "not_applicable")
ALIGNED, ELIGIBLE_NOT_ALIGNED, INCOMPLETE, NOT_ELIGIBLE = 0, 1, 2, 3
STATUSES = ("aligned", "eligible_not_aligned", "incomplete", "not_eligible")
#: Relative tolerance of threshold comparisons (floating-point noise only; legal thresholds are exact).
RELATIVE_TOLERANCE = 1e-9


def _tolerance(threshold: float) -> float:
    return RELATIVE_TOLERANCE * max(1.0, abs(threshold))


def enum_codes(metric: str, values: Sequence[str]) -> list[float]:
    """Indices of enumeration ``values`` in the documented list of ``metric``."""
    allowed = metric_catalogue()[metric].values
    return [float(allowed.index(v)) for v in values if v in allowed]


def compare(op: str, value: FloatArray, threshold: float | None, metric: str | None = None,
            values: Sequence[str] = ()) -> BoolArray:
    """``value op threshold`` element-wise (False where ``value`` is NaN).

    Parameters
    ----------
    op : str
        ``gt`` (>), ``ge`` (≥), ``lt`` (<), ``le`` (≤), ``is_true``, ``is_false``, ``in``.
    value : array [metric unit]
    threshold : float [metric unit]
    """
    with np.errstate(invalid="ignore"):
        if op in ("gt", "ge", "lt", "le", "reduction_ge"):
            assert threshold is not None
            tol = _tolerance(threshold)
            if op == "gt":
                return value > threshold + tol
            if op in ("ge", "reduction_ge"):
                return value >= threshold - tol
            if op == "lt":
                return value < threshold - tol
            return value <= threshold + tol
        if op == "is_true":
            return value == 1.0
        if op == "is_false":
            return value == 0.0
        if op == "in":
            assert metric is not None
            return np.isin(value, enum_codes(metric, values))
    raise ValueError(f"operator {op!r} is not a comparison")


def _column(columns: Mapping[str, FloatArray], name: str, size: int) -> FloatArray:
    column = columns.get(name)
    if column is None:
        return np.full(size, np.nan)
    return column


def condition(cond: Condition, columns: Mapping[str, FloatArray], size: int) -> tuple[BoolArray, BoolArray]:
    """Three-valued truth of a condition: ``(true, known)``; unknown where a metric it needs is absent."""
    if cond.all or cond.any:
        parts = [condition(sub, columns, size) for sub in (cond.all or cond.any)]
        if cond.all:
            some_false = np.zeros(size, bool)
            all_true = np.ones(size, bool)
            for true, known in parts:
                some_false |= known & ~true
                all_true &= known & true
            return all_true, all_true | some_false
        some_true = np.zeros(size, bool)
        all_false = np.ones(size, bool)
        for true, known in parts:
            some_true |= known & true
            all_false &= known & ~true
        return some_true, some_true | all_false
    assert cond.metric is not None and cond.op is not None
    value = _column(columns, cond.metric, size)
    known = ~np.isnan(value)
    return compare(cond.op, value, cond.threshold, cond.metric, cond.values) & known, known


def criterion_value(criterion: Criterion, columns: Mapping[str, FloatArray], size: int) -> FloatArray:
    """The value a criterion compares: the metric, or for ``reduction_ge`` the % below the reference metric.

    ``reduction_ge``: value = (reference − metric) / reference × 100 [%], e.g. Annex I Section 7.1 point 1,
    "PED at least 10 % lower than the NZEB threshold". A reference ≤ 0 gives no value (missing).
    """
    if criterion.metric is None:
        return np.full(size, np.nan)
    value = _column(columns, criterion.metric, size)
    if criterion.op == "reduction_ge":
        assert criterion.ref_metric is not None
        reference = _column(columns, criterion.ref_metric, size)
        with np.errstate(invalid="ignore", divide="ignore"):
            reduction = (reference - value) / reference * 100.0
        return np.where(reference > 0, reduction, np.nan)
    return value


def evaluate_criterion(criterion: Criterion, columns: Mapping[str, FloatArray], size: int, on: date,
                       quality: Mapping[str, FloatArray] | None = None) -> tuple[CodeArray, FloatArray]:
    """Verdict codes and compared values of one criterion for ``size`` projects assessed on ``on``.

    The rule, in order: a criterion not in force on ``on`` (``valid_from``/``valid_to``) is not applicable;
    an ``applies_if`` condition that is false makes it not applicable, and one that cannot be decided makes it
    missing; an absent value is missing; otherwise the comparison decides pass/fail. Where the criterion
    requires evidence of a quality (``requires_quality``, e.g. "verified by an independent third party",
    Annex I Section 4.5), a passing value without such evidence is missing.
    """
    verdict = np.full(size, NOT_APPLICABLE, dtype=np.int8)
    value = criterion_value(criterion, columns, size)
    if not criterion.in_force(on) or criterion.op == "not_applicable":
        return verdict, value
    if criterion.op == "definition":
        verdict[:] = PASS
        return verdict, value
    if criterion.applies_if is not None:
        true, known = condition(criterion.applies_if, columns, size)
        applicable = known & true
        verdict[~known] = MISSING
    else:
        applicable = np.ones(size, bool)
    has_value = ~np.isnan(value)
    ok = compare(criterion.op, value, criterion.threshold, criterion.metric, criterion.values)
    verdict[applicable & ~has_value] = MISSING
    verdict[applicable & has_value & ok] = PASS
    verdict[applicable & has_value & ~ok] = FAIL
    if criterion.requires_quality is not None and criterion.metric is not None:
        rank = (quality or {}).get(criterion.metric, np.full(size, np.nan))
        with np.errstate(invalid="ignore"):
            short = ~(rank >= QUALITY_RANK[criterion.requires_quality])
        verdict[(verdict == PASS) & short] = MISSING
    return verdict, value


def combine(verdicts: Sequence[CodeArray]) -> CodeArray:
    """Verdict of an ``any_of`` group: pass if any passes; else missing if any is missing; else fail if any
    fails; else not applicable."""
    stack = np.vstack(verdicts)
    out = np.full(stack.shape[1], NOT_APPLICABLE, dtype=np.int8)
    out[(stack == FAIL).any(axis=0)] = FAIL
    out[(stack == MISSING).any(axis=0)] = MISSING
    out[(stack == PASS).any(axis=0)] = PASS
    return out


def requirements(activity: Activity, verdicts: Mapping[str, CodeArray]) -> dict[str, CodeArray]:
    """Each requirement of an activity (a standalone criterion or an ``any_of`` group) and its verdict."""
    groups: dict[str, list[CodeArray]] = {}
    out: dict[str, CodeArray] = {}
    for criterion in activity.criteria:
        if criterion.any_of:
            groups.setdefault(f"{activity.code}:{criterion.kind}:{criterion.any_of}", []).append(
                verdicts[criterion.id])
        else:
            out[criterion.id] = verdicts[criterion.id]
    for key, members in groups.items():
        out[key] = combine(members)
    return out


def activity_status(activity: Activity, verdicts: Mapping[str, CodeArray], size: int) -> CodeArray:
    """Overall status: eligible_not_aligned if any requirement fails; else incomplete if any is missing;
    else aligned (Regulation (EU) 2020/852, Art. 3: substantial contribution, DNSH and minimum safeguards)."""
    status = np.full(size, ALIGNED, dtype=np.int8)
    reqs = list(requirements(activity, verdicts).values())
    if not reqs:
        return status
    stack = np.vstack(reqs)
    status[(stack == MISSING).any(axis=0)] = INCOMPLETE
    status[(stack == FAIL).any(axis=0)] = ELIGIBLE_NOT_ALIGNED
    return status


def evaluate_activity(activity: Activity, columns: Mapping[str, FloatArray], size: int, on: date,
                      quality: Mapping[str, FloatArray] | None = None
                      ) -> tuple[CodeArray, dict[str, CodeArray], dict[str, FloatArray]]:
    """Status codes, per-criterion verdicts and values of ``size`` projects of one activity."""
    verdicts: dict[str, CodeArray] = {}
    values: dict[str, FloatArray] = {}
    for criterion in activity.criteria:
        verdicts[criterion.id], values[criterion.id] = evaluate_criterion(criterion, columns, size, on, quality)
    return activity_status(activity, verdicts, size), verdicts, values
