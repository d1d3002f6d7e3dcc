"""``countyzero credits``: estimate, value and ledger commands (a thin layer over :mod:`countyzero.credits`).

Every command prints JSON with ``--format json`` (the default when the output is not a terminal). Errors print
one line ``error: …`` naming the file and field, and exit with status 2; ``ledger verify`` exits with 1 when it
finds a problem. ``credits reconcile`` reconciles the platform database's ledger (exit status 1 on a problem).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from countyzero.console import FactorFiles, chosen_format, console, fail, print_json
from countyzero.console import OutputFormat as Format
from countyzero.core.errors import CountyZeroError
from countyzero.credits.engine import CreditEstimate, estimate_credits
from countyzero.credits.ledger import Ledger, VerifyReport
from countyzero.credits.model import STANDARDS
from countyzero.credits.reader import read_project
from countyzero.credits.valuation import collateral_value, credit_stream_value, resolve_price
from countyzero.factors.library import FactorLibrary

app = typer.Typer(help="Carbon value conversion (碳汇价值转化): credits by vintage, value, ledger.",
                  no_args_is_help=True, add_completion=False)
ledger_app = typer.Typer(help="The credit ledger (碳信用登记簿): serial-numbered blocks, no double counting.",
                         no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


class StandardChoice(StrEnum):
    ccer = "ccer"
    verra = "verra"
    gold_standard = "gold-standard"
    all = "all"


class OneStandard(StrEnum):
    ccer = "ccer"
    verra = "verra"
    gold_standard = "gold-standard"


FormatOption = Annotated[Format | None, typer.Option("--format", help="json or table (default: table on a terminal).")]
DbOption = Annotated[Path, typer.Option("--db", help="Ledger database file (SQLite).")]
StandardOpt = Annotated[OneStandard, typer.Option("--standard", help="Crediting standard.")]
ProjectOpt = Annotated[str, typer.Option("--project", help="Project registry id.")]
VintageOpt = Annotated[int, typer.Option("--vintage", help="Vintage year.")]


def _console() -> Console:
    return console(width=140)



def _estimates(path: Path, standard: str, factors: list[Path] | None) -> dict[str, CreditEstimate]:
    library = FactorLibrary.load(factors or [])
    project, document = read_project(path)
    keys = STANDARDS if standard == "all" else (standard,)
    try:
        return {k: estimate_credits(project, k, library=library, input_digest=document.sha256) for k in keys}
    except CountyZeroError as exc:
        if hasattr(exc, "located"):
            raise exc.located(file=document.path) from None
        raise


def _vintage_table(est: CreditEstimate) -> Table:
    title = (f"{est.project} — {est.standard.name_en} ({est.mode}); eligible: "
             f"{'yes' if est.eligibility.eligible else 'no'} 是否合格")
    table = Table(title=title)
    for name in ("year 年份", "gross 清除量", "baseline 基线", "leakage 泄漏", "uncertainty 不确定性",
                 "buffer 缓冲", "issuable 可签发"):
        table.add_column(name, justify="right")
    for v in est.vintages():
        table.add_row(str(v["year"]), *(f"{float(v[k]):,.1f}" for k in (
            "gross_removals_tco2e", "baseline_tco2e", "leakage_tco2e", "uncertainty_deduction_tco2e",
            "buffer_tco2e", "issuable_tco2e")))
    table.add_row("total 合计", "", "", "", "", "", f"{est.total_issuable_tco2e:,.1f}")
    return table


@app.command()
def estimate(
    project_file: Annotated[Path, typer.Argument(help="Project file (YAML or JSON; see docs/credits.md).")],
    standard: Annotated[StandardChoice, typer.Option("--standard", help="ccer, verra, gold-standard or all.")]
    = StandardChoice.all,
    format: FormatOption = None,
    factors: FactorFiles = None,
) -> None:
    """Eligibility, removals, deductions and issuable credits by vintage (tCO2e)."""
    try:
        results = _estimates(project_file, standard.value, factors)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(format) is Format.json:
        if standard is StandardChoice.all:
            first = next(iter(results.values()))
            print_json({"project": first.project, "standards": {k: v.to_dict() for k, v in results.items()}})
        else:
            print_json(results[standard.value].to_dict())
        return
    console = _console()
    for est in results.values():
        console.print(_vintage_table(est))
        for reason in est.eligibility.reasons:
            console.print(f"  not eligible: {reason}")
        for warning in est.warnings:
            console.print(f"  note: {warning}")


@app.command()
def value(
    project_file: Annotated[Path, typer.Argument(help="Project file (YAML or JSON).")],
    price: Annotated[str, typer.Option("--price", help="Price scenario (cn-central …), price row id, or a number.")],
    discount_rate: Annotated[float, typer.Option("--discount-rate", help="Annual discount rate, e.g. 0.06.")],
    standard: StandardOpt = OneStandard.ccer,
    currency: Annotated[str | None, typer.Option("--currency", help="Currency of a numeric --price.")] = None,
    base_year: Annotated[int | None, typer.Option("--base-year", help="Year to discount to (default: start year).")]
    = None,
    price_growth: Annotated[float, typer.Option("--price-growth", help="Annual price growth, e.g. 0.02.")] = 0.0,
    quality_discount: Annotated[float, typer.Option("--quality-discount", help="Rating/quality discount in [0, 1).")]
    = 0.0,
    issuance_lag: Annotated[float, typer.Option("--issuance-lag", help="Years from vintage to sale.")] = 0.0,
    pledge_rate: Annotated[float | None, typer.Option("--pledge-rate", help="Pledge (loan-to-value) rate for the "
                                                      "collateral value; no default.")] = None,
    collateral_tonnes: Annotated[float | None, typer.Option("--collateral-tonnes", help="Tonnes pledged (default: "
                                                            "total issuable).")] = None,
    format: FormatOption = None,
    factors: FactorFiles = None,
) -> None:
    """Value of the issuable credits: price × tonnes by vintage, NPV, and pledge-loan collateral."""
    try:
        est = _estimates(project_file, standard.value, factors)[standard.value]
        library = FactorLibrary.load(factors or [])
        ref = resolve_price(library, price, currency=currency)
        base = base_year if base_year is not None else est.years[0] if est.years else 0
        stream = credit_stream_value(est.years, [float(v) for v in est.deductions.issuable[0]], ref.value,
                                     discount_rate=discount_rate, base_year=base, price_year=ref.year,
                                     price_growth=price_growth, quality_discount=quality_discount,
                                     issuance_lag_years=issuance_lag)
        collateral = None
        if pledge_rate is not None:
            tonnes = est.total_issuable_tco2e if collateral_tonnes is None else collateral_tonnes
            collateral = {"tonnes": tonnes, "reference_price": ref.value, "pledge_rate": pledge_rate,
                          "value": collateral_value(tonnes, ref.value, pledge_rate), "currency": ref.currency}
    except CountyZeroError as exc:
        raise fail(exc) from None
    result = {"project": est.project, "standard": standard.value, "eligible": est.eligibility.eligible,
              "total_issuable_tco2e": est.total_issuable_tco2e, "price": ref.to_dict(), "currency": ref.currency,
              "discount_rate": discount_rate, "base_year": base, "price_growth": price_growth,
              "quality_discount": quality_discount, "issuance_lag_years": issuance_lag,
              "npv": stream["npv"], "undiscounted_value": stream["undiscounted_value"],
              "by_year": stream["by_year"], "collateral": collateral, "provenance": est.provenance.to_dict()}
    if chosen_format(format) is Format.json:
        print_json(result)
        return
    console = _console()
    console.print(f"{est.project} — {standard.value}: {est.total_issuable_tco2e:,.0f} tCO2e issuable")
    console.print(f"price {ref.value:g} {ref.currency}/tCO2e ({ref.source}); discount rate {discount_rate:g}")
    console.print(f"NPV 净现值 ({base}): {stream['npv']:,.0f} {ref.currency}; undiscounted "
                  f"{stream['undiscounted_value']:,.0f} {ref.currency}")
    if collateral is not None:
        console.print(f"collateral value 质押价值: {collateral['value']:,.0f} {ref.currency} "
                      f"({collateral['tonnes']:,.0f} t × {ref.value:g} × {pledge_rate:g})")


# --- ledger --------------------------------------------------------------------------------------------------------
def _open(db: Path, *, create: bool = False) -> Ledger:
    if not create and not db.exists():
        raise CountyZeroError(f"{db}: no ledger database here (issue credits first)")
    return Ledger(db)


def _show_blocks(blocks: list[dict[str, Any]], format: Format | None, title: str) -> None:
    if chosen_format(format) is Format.json:
        print_json({"blocks": blocks})
        return
    table = Table(title=title)
    for name in ("serials 序列号", "quantity 数量", "account 账户", "status 状态"):
        table.add_column(name)
    for b in blocks:
        table.add_row(b["serials"], str(b["quantity"]), b["account"], b["status"])
    _console().print(table)


@ledger_app.command("issue")
def ledger_issue(
    db: DbOption, standard: StandardOpt, project: ProjectOpt, vintage: VintageOpt,
    quantity: Annotated[int, typer.Option("--quantity", help="Credits to issue (whole tCO2e).")],
    account: Annotated[str, typer.Option("--account", help="Account receiving the credits.")],
    project_file: Annotated[Path | None, typer.Option(
        "--project-file", help="Cap the vintage's issuance at its issuable credits under --standard.")] = None,
    format: FormatOption = None,
) -> None:
    """Issue serial-numbered credits of a vintage to an account."""
    try:
        cap = None
        if project_file is not None:
            est = _estimates(project_file, standard.value, None)[standard.value]
            by_year = {v["year"]: float(v["issuable_tco2e"]) for v in est.vintages()}
            if vintage not in by_year:
                raise CountyZeroError(f"vintage {vintage} is outside the creditable years of {project_file}")
            cap = float(int(by_year[vintage]))
        with _open(db, create=True) as led:
            block = led.issue(standard.value, project, vintage, quantity, account, max_total=cap)
    except CountyZeroError as exc:
        raise fail(exc) from None
    _show_blocks([block.to_dict()], format, "issued 已签发")


@ledger_app.command("transfer")
def ledger_transfer(
    db: DbOption, standard: StandardOpt, project: ProjectOpt, vintage: VintageOpt,
    quantity: Annotated[int, typer.Option("--quantity", help="Credits to transfer.")],
    from_account: Annotated[str, typer.Option("--from", help="Account giving the credits.")],
    to_account: Annotated[str, typer.Option("--to", help="Account receiving the credits.")],
    format: FormatOption = None,
) -> None:
    """Transfer held credits (lowest serials first) between accounts."""
    try:
        with _open(db) as led:
            blocks = led.transfer(from_account, to_account, standard.value, project, vintage, quantity)
    except CountyZeroError as exc:
        raise fail(exc) from None
    _show_blocks([b.to_dict() for b in blocks], format, "transferred 已转让")


def _parse_serials(text: str) -> tuple[int, int]:
    try:
        lo, _, hi = text.partition("-")
        return int(lo), int(hi or lo)
    except ValueError:
        raise CountyZeroError(f"--serials must look like 1-500, not {text!r}") from None


@ledger_app.command("retire")
def ledger_retire(
    db: DbOption, standard: StandardOpt, project: ProjectOpt, vintage: VintageOpt,
    account: Annotated[str, typer.Option("--account", help="Account retiring the credits.")],
    beneficiary: Annotated[str, typer.Option("--beneficiary", help="On whose behalf (certificate).")],
    purpose: Annotated[str, typer.Option("--purpose", help="Claim the retirement supports.")],
    quantity: Annotated[int | None, typer.Option("--quantity", help="Credits to retire (lowest serials).")] = None,
    serials: Annotated[str | None, typer.Option("--serials", help="Exact serial range, e.g. 1-500.")] = None,
    format: FormatOption = None,
) -> None:
    """Retire credits once and only once, and print the retirement certificate."""
    try:
        rng = _parse_serials(serials) if serials else None
        with _open(db) as led:
            cert = led.retire(account, standard.value, project, vintage, quantity, beneficiary=beneficiary,
                              purpose=purpose, serials=rng)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(format) is Format.json:
        print_json(cert.to_dict())
        return
    _console().print(f"retirement certificate 注销证明 {cert.certificate}: {cert.quantity} tCO2e, serials "
                     f"{cert.to_dict()['serials']}, for {cert.beneficiary} — {cert.purpose} (hash {cert.event_hash})")


@ledger_app.command("cancel")
def ledger_cancel(
    db: DbOption, standard: StandardOpt, project: ProjectOpt, vintage: VintageOpt,
    account: Annotated[str, typer.Option("--account", help="Account whose credits are cancelled.")],
    quantity: Annotated[int, typer.Option("--quantity", help="Credits to cancel into the buffer.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. reversal by fire, 2027).")],
    format: FormatOption = None,
) -> None:
    """Cancel held credits to the buffer (non-permanence compensation)."""
    try:
        with _open(db) as led:
            blocks = led.cancel_to_buffer(account, standard.value, project, vintage, quantity, reason)
    except CountyZeroError as exc:
        raise fail(exc) from None
    _show_blocks([b.to_dict() for b in blocks], format, "cancelled to buffer 已注销至缓冲库")


@ledger_app.command("balance")
def ledger_balance(
    db: DbOption,
    account: Annotated[str | None, typer.Option("--account", help="Only this account.")] = None,
    format: FormatOption = None,
) -> None:
    """Balances per account, project, vintage and status (held, retired, cancelled)."""
    try:
        with _open(db) as led:
            rows = [b.to_dict() for b in led.balance(account)]
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(format) is Format.json:
        print_json({"balances": rows})
        return
    table = Table(title="balances 余额")
    for name in ("account 账户", "standard", "project 项目", "vintage 年份", "status 状态", "tCO2e"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["account"], r["standard"], r["project"], str(r["vintage"]), r["status"], f"{r['quantity']:,}")
    _console().print(table)


@ledger_app.command("verify")
def ledger_verify(db: DbOption, format: FormatOption = None) -> None:
    """Reconcile the ledger: hash chain, replay, no serial in two places, issued = held + retired + cancelled."""
    try:
        with _open(db) as led:
            report = led.verify()
    except CountyZeroError as exc:
        raise fail(exc) from None
    _report(report, format, "events")


@app.command("reconcile")
def reconcile(format: FormatOption = None) -> None:
    """Reconcile the platform database's ledger (COUNTYZERO_DATABASE_URL): hash chain, replay, no serial in two
    places, issued = held + retired + cancelled per vintage; exit status 1 on a problem."""
    from countyzero.cli import _sessions
    from countyzero.services import ledger as platform_ledger

    try:
        with _sessions()() as session:
            report = platform_ledger.reconcile(session)
    except CountyZeroError as exc:
        raise fail(exc) from None
    _report(report, format, "ledger events")


def _report(report: VerifyReport, format: Format | None, events: str) -> None:
    """A reconciliation as JSON or a verdict line with its problems; exit status 1 when it found any."""
    if chosen_format(format) is Format.json:
        print_json(report.to_dict())
    else:
        console = _console()
        console.print(f"{'OK' if report.ok else 'PROBLEMS'}: {report.events} {events}, head {report.head_hash}")
        for problem in report.problems:
            console.print(f"  {problem}")
    if not report.ok:
        raise typer.Exit(code=1)
