"""Portfolio screening: many projects or loans at once, vectorised (pyarrow + numpy), and what changed
between two rule versions.

A table (Parquet, CSV) has one row per project/loan: ``id``, ``amount``, ``counterparty_type``, ``product``,
``sector``, ``activity_eu`` (and optionally ``activity_cgt``), metric columns named as in ``metrics.yaml``,
``dnsh.<objective>`` and ``minimum_safeguards`` columns, and ``quality.<metric>`` columns (audited/reported/
estimated) where a criterion requires evidence quality. Rows are grouped by activity and each criterion is
evaluated once per group with :mod:`countyzero.finance.criteria` — the same code as single-project screening.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError

from countyzero.core.columns import cast as cast_column
from countyzero.core.columns import csv_header, first_row_where
from countyzero.core.errors import InputError
from countyzero.finance.criteria import NOT_ELIGIBLE, STATUSES, CodeArray, FloatArray, evaluate_activity
from countyzero.finance.kpi import Exposure, loan_book_ratios
from countyzero.finance.rulebook import (
    FRAMEWORKS,
    QUALITY_RANK,
    Framework,
    Rulebook,
    default_rulebooks,
    metric_catalogue,
)


def text_columns(names: Iterable[str]) -> tuple[str, ...]:
    """The columns of a loan table that hold text whatever their values look like: ids, sectors, activity codes
    (``4.5`` is a code, not a number), evidence qualities and enum metrics."""
    catalogue = metric_catalogue()
    return tuple(n for n in names if n in ("id", "sector") or n.startswith(("activity_", "quality."))
                 or (n in catalogue and catalogue[n].type == "enum"))


def read_table(path: str | Path) -> pa.Table:
    """Read a Parquet or CSV portfolio table (in a CSV, :func:`text_columns` are read as text)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path)
        if path.suffix.lower() == ".csv":
            types = dict.fromkeys(text_columns(csv_header(path)), pa.string())
            return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"cannot read table: {exc}", file=str(path)) from None
    raise InputError("portfolio tables must be .parquet or .csv", file=str(path))


def _float_column(table: pa.Table, name: str, file: str | None, first_row: int) -> FloatArray:
    """A metric column as numbers: enum values as their index in the vocabulary, booleans as 0/1; a value outside
    the vocabulary is an error naming its row (a typo is never read as a missing value)."""
    column = table.column(name)
    spec = metric_catalogue().get(name)
    if spec is not None and spec.type == "enum":
        text = pc.utf8_trim_whitespace(cast_column(column, pa.string(), "text expected", name, file, first_row))
        out = np.full(len(column), np.nan)
        for index, value in enumerate(spec.values):
            mask = pc.fill_null(pc.equal(text, value), False).to_numpy(zero_copy_only=False)
            out[mask] = float(index)
        given = pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)  # empty = not given
        if (given & np.isnan(out)).any():
            raise InputError(f"not one of {', '.join(spec.values)}", file=file,
                             row=first_row_where(given & np.isnan(out), first_row), field=name)
        return out
    if pa.types.is_boolean(column.type) or pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    raise InputError(f"column {name!r} must be numeric or boolean, not {column.type}", file=file, row=1, field=name)


def screen_table(table: pa.Table, on: date, frameworks: tuple[Framework, ...] = ("eu", "cgt"),
                 rulebooks: Mapping[Framework, Rulebook] | None = None, *, file: str | None = None,
                 first_row: int = 2) -> dict[str, CodeArray]:
    """Status codes (see :data:`countyzero.finance.criteria.STATUSES`) per framework for every row.

    An activity is taken from ``activity_<fw>``, or for ``cgt`` from ``activity_eu`` when the CGT rulebook
    records that EU activity (crosswalk); rows with no activity are ``not_eligible``.

    Raises
    ------
    InputError
        Unknown metric column type, unknown activity code, or a rulebook not valid on ``on``.
    """
    books = rulebooks or default_rulebooks()
    size = table.num_rows
    names = set(table.column_names)
    metric_names = [n for n in names if n in metric_catalogue() or n.startswith("dnsh.") or n == "minimum_safeguards"]
    columns = {n: _float_column(table, n, file, first_row) for n in metric_names}
    quality: dict[str, FloatArray] = {}
    for n in names:
        if n.startswith("quality."):
            codes = np.full(size, np.nan)
            for label, rank in QUALITY_RANK.items():
                mask = pc.fill_null(pc.equal(table.column(n), label), False).to_numpy(zero_copy_only=False)
                codes[mask] = float(rank)
            quality[n.removeprefix("quality.")] = codes
    out: dict[str, CodeArray] = {}
    for fw in frameworks:
        book = books[fw]
        if not book.valid_on(on):
            raise InputError(f"{book.label} is not valid on {on}", field="date")
        source = f"activity_{fw}" if f"activity_{fw}" in names else "activity_eu"
        if source not in names:
            raise InputError(f"the table has no activity_{fw} or activity_eu column", file=file, row=1, field=source)
        activity = table.column(source).dictionary_encode().combine_chunks()
        status = np.full(size, NOT_ELIGIBLE, dtype=np.int8)
        indices = np.asarray(pc.fill_null(activity.indices, -1).to_numpy(zero_copy_only=False))
        for code_index, code in enumerate(activity.dictionary.to_pylist()):
            if code is None or code == "":
                continue
            if code not in book.activities:
                if source == f"activity_{fw}":
                    raise InputError(f"unknown activity code {code!r} for {fw}", file=file,
                                     row=first_row_where(indices == code_index, first_row), field=source)
                continue
            rows = np.flatnonzero(indices == code_index)
            sub = {k: v[rows] for k, v in columns.items()}
            subq = {k: v[rows] for k, v in quality.items()}
            codes, _, _ = evaluate_activity(book.activities[code], sub, rows.size, on, subq)
            status[rows] = codes
        out[fw] = status
    return out


def status_counts(statuses: Mapping[str, CodeArray], amounts: FloatArray | None = None) -> dict[str, Any]:
    """Counts (and amounts) by status per framework."""
    result: dict[str, Any] = {}
    for fw, codes in statuses.items():
        counts = np.bincount(codes, minlength=4)
        entry: dict[str, Any] = {STATUSES[i]: int(counts[i]) for i in range(4)}
        if amounts is not None:
            sums = np.bincount(codes, weights=amounts, minlength=4)
            entry["amount"] = {STATUSES[i]: float(sums[i]) for i in range(4)}
        result[fw] = entry
    return result


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed between two screenings of the same portfolio (e.g. under a new rule version), and why:
    per project and framework, the old and new status, the rulebook versions and the criteria whose verdict
    changed."""
    out = []
    for pid, new_result in new.items():
        old_result = old.get(pid)
        if old_result is None:
            out.append({"project": pid, "change": "new project"})
            continue
        for fw, nf in new_result["frameworks"].items():
            of = old_result["frameworks"].get(fw)
            if of is None:
                out.append({"project": pid, "framework": fw, "change": "newly screened", "status": nf["status"]})
                continue
            old_verdicts = {c["id"]: c["verdict"] for c in of["criteria"]}
            moved = [{"criterion": c["id"], "old": old_verdicts.get(c["id"]), "new": c["verdict"],
                      "reference": c["reference"]}
                     for c in nf["criteria"] if old_verdicts.get(c["id"]) != c["verdict"]]
            if of["status"] != nf["status"] or moved or of["rulebook"] != nf["rulebook"]:
                entry: dict[str, Any] = {"project": pid, "framework": fw, "old_status": of["status"],
                                         "new_status": nf["status"],
                            "old_rulebook": of["rulebook"]["version"], "new_rulebook": nf["rulebook"]["version"],
                                         "criteria": moved}
                out.append(entry)
    return out


def loan_book(loans: Any, screen: Callable[[Any, str | int], dict[str, Any]],
              row_label: Callable[[int], str | int], *, baseline: Mapping[str, Any] | None = None,
              frameworks: Sequence[str] = FRAMEWORKS) -> dict[str, Any]:
    """GAR-style ratios of a loan book (:func:`countyzero.finance.kpi.loan_book_ratios`) with every financed
    project screened, and — given an earlier output's ``screenings`` — what changed and why (:func:`changes`).

    ``loans``: a list of mappings (``id``, ``amount``, ``counterparty_type``, ``product``, ``sector``, optional
    ``project``, ``turnover_aligned_share``, ``capex_aligned_share``); ``screen(project, row)`` screens a loan's
    ``project`` entry (a file name for the CLI, an uploaded document on the platform) under every framework.

    Raises
    ------
    InputError
        Naming the row (``row_label(index)``) and field of the first bad loan.
    """
    if not isinstance(loans, list) or not loans:
        raise InputError("a portfolio needs a non-empty 'loans' list", field="loans")
    exposures, screened = [], {}
    for index, loan in enumerate(loans):
        row = row_label(index)
        if not isinstance(loan, dict):
            raise InputError("each loan must be a mapping", row=row)
        loan = dict(loan)
        project = loan.pop("project", None)
        statuses: dict[str, str] = {}
        if project:
            result = screen(project, row)
            screened[str(loan.get("id", index))] = result
            statuses = {fw: r["status"] for fw, r in result["frameworks"].items()}
        try:
            exposures.append(Exposure.model_validate({**loan, "statuses": statuses}))
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InputError(error["msg"], row=row, field=".".join(map(str, error["loc"]))) from None
    output: dict[str, Any] = {
        "ratios": loan_book_ratios(exposures, frameworks),
        "projects": {pid: {fw: r["status"] for fw, r in res["frameworks"].items()} for pid, res in screened.items()},
        "screenings": screened}
    if baseline is not None:
        output["changes"] = changes(baseline, screened)
    return output
