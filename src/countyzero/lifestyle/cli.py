"""Command lines of the lifestyle engine and the 1.5 °C label.

``app`` is mounted as ``countyzero lifestyle`` and ``label_app`` as ``countyzero label``. Every command prints
JSON with ``--format json``; errors print one line (``error: …``) and exit with status 2, no traceback.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from countyzero.console import (
    FactorFiles,
    FormatOption,
    OutputFormat,
    chosen_format,
    console,
    fail,
    load_library,
    print_json,
)
from countyzero.core.errors import CountyZeroError, InputError
from countyzero.core.io import located, read_model, write_files
from countyzero.core.trace import sha256_of
from countyzero.lifestyle.footprint import footprint
from countyzero.lifestyle.label import grade_items
from countyzero.lifestyle.model import FootprintInput, LabelApplication, LabelFile
from countyzero.lifestyle.registry import LabelRegistry
from countyzero.lifestyle.targets import daily_budget_kgco2e, load_trajectory, target_tco2e_per_capita

app = typer.Typer(help="Lifestyle carbon footprints and 1.5 °C trajectories (生活方式碳足迹).", no_args_is_help=True,
                  add_completion=False)
label_app = typer.Typer(help="The 1.5 °C lifestyle label: grade, certify, verify (1.5°C生活方式标识).",
                        no_args_is_help=True, add_completion=False)


RegistryOption = Annotated[Path, typer.Option("--registry", help="Label register (SQLite file; created if missing).")]
DateOption = Annotated[str | None, typer.Option("--date", help="Date of the step, YYYY-MM-DD (default: today).")]


def parse_date(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint="--date") from None


# lifestyle ------------------------------------------------------------------------------------------
@app.command("footprint")
def lifestyle_footprint(
    file: Annotated[Path, typer.Argument(help="Consumption file (YAML, JSON, CSV or XLSX; lines under 'lines').")],
    fmt: FormatOption = None,
    factors: FactorFiles = None,
) -> None:
    """Footprint of a person or household over six domains, against the 1.5 °C trajectory."""
    try:
        library = load_library(factors)
        data, document = read_model(file, FootprintInput, "lines")
        try:
            result = footprint(data, library=library, input_digest=document.sha256)
        except InputError as exc:
            raise located(exc, document, [line.id for line in data.lines]) from None
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(result.model_dump())
        return
    table = Table(title=f"{result.name} — {result.year} (persons {result.persons:g})")
    table.add_column("domain / 领域")
    table.add_column("kgCO2e", justify="right")
    for domain, value in result.by_domain.items():
        table.add_row(domain, f"{value:,.1f}")
    table.add_row("total / 合计", f"{result.total_kgco2e:,.1f}")
    out = console()
    out.print(table)
    out.print(f"per capita {result.per_capita_tco2e_per_year:.2f} t/yr · 1.5 °C target "
              f"{result.target_tco2e_per_capita:.2f} t ({result.trajectory}) · ratio {result.target_ratio:.2f}")


@app.command("target")
def lifestyle_target(
    year: Annotated[float, typer.Argument(help="Calendar year, e.g. 2035.")],
    trajectory: Annotated[str | None, typer.Option("--trajectory", help="Trajectory version (default hoc-2021).")
                          ] = None,
    fmt: FormatOption = None,
) -> None:
    """The 1.5 °C per-capita target and daily budget for a year."""
    try:
        traj = load_trajectory(trajectory)
        data = {"year": year, "trajectory": traj.version, "target_tco2e_per_capita": target_tco2e_per_capita(
            year, traj.version), "daily_budget_kgco2e": daily_budget_kgco2e(year, traj.version),
            "factor_ids": traj.factor_ids, "source": traj.citation}
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(data)
        return
    console().print(f"{year:g}: {data['target_tco2e_per_capita']:.3f} tCO2e per person per year "
                    f"({data['daily_budget_kgco2e']:.2f} kg/day), {traj.version}")


@app.command("schema")
def lifestyle_schema() -> None:
    """JSON Schema of the consumption file."""
    print_json(FootprintInput.model_json_schema())


# label --------------------------------------------------------------------------------------------
@label_app.command("grade")
def label_grade(
    file: Annotated[Path, typer.Argument(help="Items to grade (YAML, JSON, CSV or XLSX; items under 'items').")],
    fmt: FormatOption = None,
    factors: FactorFiles = None,
) -> None:
    """Grade items against their 1.5 °C allowance (grade and number shown together)."""
    try:
        library = load_library(factors)
        data, document = read_model(file, LabelFile, "items")
        try:
            report = grade_items(data, library=library, input_digest=document.sha256)
        except InputError as exc:
            raise located(exc, document, [i.id for i in data.items]) from None
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(report.model_dump())
        return
    table = Table(title="1.5 °C lifestyle label / 1.5°C生活方式标识")
    for column in ("id", "item", "unit", "grade", "kgCO2e", "allowance", "ratio", "certifiable"):
        table.add_column(column, justify="right" if column in ("kgCO2e", "allowance", "ratio") else "left")
    for r in report.items:
        table.add_row(r.id, r.name, r.functional_unit, r.grade, f"{r.footprint_kgco2e:.2f}",
                      f"{r.allowance_kgco2e:.2f}", f"{r.ratio:.2f}", "yes" if r.certifiable else "no")
    console().print(table)


@label_app.command("apply")
def label_apply(
    file: Annotated[Path, typer.Argument(help="Application (YAML/JSON): applicant, year and one item.")],
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Open a label application; the item is graded and the grade stored."""
    try:
        application, document = read_model(file, LabelApplication, "items")
        reg = LabelRegistry(registry)
        try:
            app_id = reg.apply(application.item, applicant=application.applicant, year=application.year,
                               at=parse_date(on), rulebook=application.rulebook, trajectory=application.trajectory)
        except InputError as exc:
            raise InputError(exc.message, file=document.path, row=exc.row, field=exc.field) from None
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit({"application_id": app_id, "status": "applied"}, fmt)


@label_app.command("evidence")
def label_evidence(
    application_id: Annotated[str, typer.Argument(help="Application id (APP-…).")],
    document: Annotated[Path, typer.Option("--document", help="Evidence file; its SHA-256 is recorded.")],
    actor: Annotated[str, typer.Option("--actor", help="Who submits it.")],
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Attach an evidence document to an application."""
    try:
        content = document.read_bytes()
    except OSError as exc:
        raise fail(Exception(f"{document}: cannot read file: {exc.strerror}")) from None
    try:
        reg = LabelRegistry(registry)
        try:
            reg.add_evidence(application_id, document=document.name, sha256=sha256_of(content), actor=actor,
                             at=parse_date(on))
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit({"application_id": application_id, "status": "evidence", "document": document.name}, fmt)


@label_app.command("review")
def label_review(
    application_id: Annotated[str, typer.Argument(help="Application id (APP-…).")],
    verifier: Annotated[str, typer.Option("--verifier", help="Independent verifier (not the applicant).")],
    registry: RegistryOption,
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The verifier's decision.")] = True,
    note: Annotated[str, typer.Option("--note", help="Reason or scope of the review.")] = "",
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Record the verifier's review of an application."""
    try:
        reg = LabelRegistry(registry)
        try:
            reg.review(application_id, verifier=verifier, approve=approve, note=note, at=parse_date(on))
            status = reg.status(application_id)
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit({"application_id": application_id, "status": status}, fmt)


@label_app.command("issue")
def label_issue(
    application_id: Annotated[str, typer.Argument(help="Approved application id (APP-…).")],
    actor: Annotated[str, typer.Option("--actor", help="Certification body issuing the label.")],
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
    qr: Annotated[Path | None, typer.Option("--qr", help="Also write the label's QR code to this SVG file.")] = None,
) -> None:
    """Issue the label of an approved application: id, validity period and QR payload (and QR image)."""
    try:
        reg = LabelRegistry(registry)
        try:
            label = reg.issue(application_id, actor=actor, at=parse_date(on))
        finally:
            reg.close()
        if qr is not None:
            write_files({qr: label.qr_svg()})
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit(label.model_dump(mode="json"), fmt)


@label_app.command("verify")
def label_verify(
    label_id: Annotated[str, typer.Argument(help="Label id printed on the label (CZ15-…).")],
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Public verification by label id (exit 0 valid, 1 expired/revoked/not yet valid, 2 unknown)."""
    try:
        reg = LabelRegistry(registry)
        try:
            result = reg.verify(label_id, at=parse_date(on))
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit(result.model_dump(mode="json"), fmt, text=result.message)
    if not result.valid:
        raise typer.Exit(code=1)


@label_app.command("renew")
def label_renew(
    label_id: Annotated[str, typer.Argument(help="Label id (CZ15-…).")],
    verifier: Annotated[str, typer.Option("--verifier", help="Independent verifier of the renewal.")],
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Renew a label: re-graded in the renewal year, new validity period."""
    try:
        reg = LabelRegistry(registry)
        try:
            label = reg.renew(label_id, verifier=verifier, at=parse_date(on))
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit(label.model_dump(mode="json"), fmt)


@label_app.command("revoke")
def label_revoke(
    label_id: Annotated[str, typer.Argument(help="Label id (CZ15-…).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the label is revoked (recorded, public).")],
    actor: Annotated[str, typer.Option("--actor", help="Certification body revoking it.")],
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Revoke a label for good."""
    try:
        reg = LabelRegistry(registry)
        try:
            reg.revoke(label_id, reason=reason, actor=actor, at=parse_date(on))
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit({"label_id": label_id, "status": "revoked", "reason": reason}, fmt)


@label_app.command("expire")
def label_expire(
    registry: RegistryOption,
    on: DateOption = None,
    fmt: FormatOption = None,
) -> None:
    """Mark every label whose validity has ended as expired (recorded)."""
    try:
        reg = LabelRegistry(registry)
        try:
            expired = reg.expire_due(at=parse_date(on))
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit({"expired": expired}, fmt)


@label_app.command("events")
def label_events(
    registry: RegistryOption,
    identifier: Annotated[str | None, typer.Argument(help="Application or label id (all when omitted).")] = None,
    fmt: FormatOption = None,
) -> None:
    """The append-only event log of the register."""
    try:
        reg = LabelRegistry(registry)
        try:
            events = reg.events(identifier)
        finally:
            reg.close()
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(events)
        return
    table = Table(title="label register events")
    for column in ("seq", "date", "action", "actor", "application", "label", "detail"):
        table.add_column(column)
    for e in events:
        table.add_row(str(e["seq"]), e["on_date"], e["action"], e["actor"], e["application_id"], e["label_id"] or "",
                      json.dumps(e["detail"], ensure_ascii=False))
    console().print(table)


@label_app.command("schema")
def label_schema() -> None:
    """JSON Schema of the item file graded by ``label grade``."""
    print_json(LabelFile.model_json_schema())


def _emit(data: dict[str, Any], fmt: OutputFormat | None, text: str | None = None) -> None:
    if chosen_format(fmt) is OutputFormat.json:
        print_json(data)
    else:
        console().print(text or " · ".join(f"{k}: {v}" for k, v in data.items()))
