"""The ``countyzero`` command line: a thin layer over the library.

Every command that prints results can print JSON for scripts (``--format json``); tables are for people.
Errors print one line naming the file, row and field, and exit with status 2 (no traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from countyzero import __version__
from countyzero.console import FactorFiles, chosen_format, console, fail, load_library, print_json
from countyzero.core.errors import CountyZeroError
from countyzero.core.io import csv_text, write_files
from countyzero.factors.library import COLUMNS, Factor, FactorLibrary

app = typer.Typer(
    help="CountyZero (县域零碳): plan, finance and verify a county's path to carbon neutrality.",
    no_args_is_help=True, add_completion=False,
)
# Engine command groups, imported only when used (each engine keeps its commands in its own cli module), so that
# `countyzero inventory …` does not pay for importing every engine.
ENGINE_GROUPS: dict[str, tuple[str, str]] = {
    "pathways": ("countyzero.pathways.cli", "app"),
    "roadmap": ("countyzero.pathways.cli", "roadmap"),
    "buildings": ("countyzero.buildings.cli", "app"),
    "finance": ("countyzero.finance.cli", "app"),
    "credits": ("countyzero.credits.cli", "app"),
    "lifestyle": ("countyzero.lifestyle.cli", "app"),
    "label": ("countyzero.lifestyle.cli", "label_app"),
    "community": ("countyzero.community.cli", "app"),
    "farm": ("countyzero.agrifood.cli", "app"),
    "challenge": ("countyzero.challenge.cli", "app"),
    "batch": ("countyzero.batch.cli", "app"),
}
_MOUNTED: set[str] = set()


def mount_engines(names: Iterable[str] | None = None) -> None:
    """Add the engines' command groups to the main app (all of them when ``names`` is None)."""
    import importlib

    for name in ENGINE_GROUPS if names is None else names:
        if name in _MOUNTED or name not in ENGINE_GROUPS:
            continue
        module, attribute = ENGINE_GROUPS[name]
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
        _MOUNTED.add(name)


factors_app = typer.Typer(help="The sourced factor library (因子库).", no_args_is_help=True)
inventory_app = typer.Typer(help="County GHG inventory, GPC v1.1 (温室气体清单).", no_args_is_help=True)
db_app = typer.Typer(help="The platform database (数据库).", no_args_is_help=True)
admin_app = typer.Typer(help="Organisations and users (机构与用户).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log (审计日志).", no_args_is_help=True)
app.add_typer(factors_app, name="factors")
app.add_typer(inventory_app, name="inventory")
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")


class OutputFormat(StrEnum):
    """Formats of the inventory and factor commands (CSV besides the shared table and JSON)."""

    table = "table"
    json = "json"
    csv = "csv"


class GWPChoice(StrEnum):
    AR4 = "AR4"
    AR5 = "AR5"
    AR6 = "AR6"


class FactorSetChoice(StrEnum):
    ipcc2006 = "ipcc2006"
    cn_provincial = "cn-provincial"


def _default_format(chosen: OutputFormat | None) -> OutputFormat:
    return chosen_format(chosen, OutputFormat)


@app.command()
def version() -> None:
    """Print the CountyZero version and the factor-set version."""
    lib = FactorLibrary.load()
    typer.echo(f"countyzero {__version__} (factor set {lib.version}, {len(lib)} rows)")


# factors -----------------------------------------------------------------------------------------
def _factor_table(rows: list[Factor], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "名称 / name", "value", "unit", "gas", "region", "year", "confidence"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.id, f"{row.name_zh}\n{row.name_en}", f"{row.value:g}", row.unit, row.gas,
                      row.region, str(row.year or ""), row.confidence)
    return table


def _emit_factors(rows: list[Factor], fmt: OutputFormat | None, title: str) -> None:
    fmt = _default_format(fmt)
    if fmt is OutputFormat.json:
        print_json([row.model_dump(mode="json") for row in rows])
    elif fmt is OutputFormat.csv:
        # the columns of a factor file, so the output loads back with --factors (origin is set by the loader)
        dumped = (row.model_dump(mode="json") for row in rows)
        typer.echo(csv_text(COLUMNS, ([d.get(k) for k in COLUMNS] for d in dumped)), nl=False)
    else:
        console().print(_factor_table(rows, title))


@factors_app.command("list")
def factors_list(
    parameter: Annotated[str | None, typer.Option(help="Only rows of this parameter, e.g. ncv.")] = None,
    activity: Annotated[str | None, typer.Option(help="Only rows for this fuel/grid/activity key.")] = None,
    factor_set: Annotated[str | None, typer.Option("--factor-set", help="Only rows of this factor set.")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="table, json or csv.")] = None,
    factors: FactorFiles = None,
) -> None:
    """List factor rows (列出因子), optionally filtered."""
    try:
        rows = [r for r in load_library(factors)
                if (parameter is None or r.parameter == parameter)
                and (activity is None or r.activity == activity)
                and (factor_set is None or r.factor_set == factor_set)]
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit_factors(rows, fmt, f"{len(rows)} factors / 因子")


@factors_app.command("show")
def factors_show(
    factor_id: Annotated[str, typer.Argument(help="The factor id, e.g. ipcc2006.ef.co2.natural_gas.")],
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="table or json.")] = None,
    factors: FactorFiles = None,
) -> None:
    """Show one factor row with its source (显示因子及来源)."""
    try:
        row = load_library(factors).get(factor_id)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if _default_format(fmt) is not OutputFormat.table:
        print_json(row.model_dump(mode="json"))
        return
    table = Table(title=row.id, show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in row.model_dump(mode="json").items():
        if value not in (None, "", False):
            table.add_row(key, str(value))
    console().print(table)


@factors_app.command("search")
def factors_search(
    text: Annotated[str, typer.Argument(help="Text to look for in ids, names (en/zh), sources.")],
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="table, json or csv.")] = None,
    factors: FactorFiles = None,
) -> None:
    """Search factors by id, English or Chinese name, activity or source (搜索因子)."""
    try:
        rows = load_library(factors).search(text)
    except CountyZeroError as exc:
        raise fail(exc) from None
    _emit_factors(rows, fmt, f"{len(rows)} factors matching {text!r}")


# inventory ---------------------------------------------------------------------------------------
InventoryFile = Annotated[Path, typer.Argument(help="Inventory file: YAML, JSON, CSV or XLSX (docs/inventory.md).")]
GWPOption = Annotated[GWPChoice | None, typer.Option("--gwp", help="GWP100 set; overrides the file (default AR5).")]
FactorSetOption = Annotated[
    FactorSetChoice | None,
    typer.Option("--factor-set", help="Fuel factor set; overrides the file (default ipcc2006)."),
]


def _compute(path: Path, gwp: GWPChoice | None, factor_set: FactorSetChoice | None,
             factors: list[Path] | None, draws: int = 0) -> Any:
    from countyzero.inventory.reader import compute_inventory_file

    overrides = {"gwp": gwp.value if gwp else None, "factor_set": factor_set.value if factor_set else None}
    return compute_inventory_file(path, overrides=overrides, library=load_library(factors),
                                  uncertainty_draws=draws)


def _inventory_table(result: Any) -> None:
    from countyzero.inventory.gpc import SCENE_NAMES_ZH

    out = console()
    head = Table(title=f"{result.county} {result.year} — GHG inventory / 温室气体清单 ({result.gwp}, tCO2e)")
    head.add_column("item / 项目")
    head.add_column("tCO2e", justify="right")
    for label, value in (
        ("Gross emissions / 总排放", result.gross_tco2e),
        ("Removals / 清除（碳汇）", result.removals_tco2e),
        ("Net / 净排放", result.net_tco2e),
        ("GPC BASIC", result.gpc_totals["basic"]),
        ("GPC BASIC+", result.gpc_totals["basic_plus"]),
        ("GPC territorial (scope 1) / 属地", result.gpc_totals["territorial"]),
        ("Energy-related CO2 (t) / 能源活动CO2", result.energy_co2_t),
        ("Biogenic CO2, memo (t) / 生物质CO2（备忘）", result.biogenic_co2_t),
    ):
        head.add_row(label, f"{value:,.1f}")
    out.print(head)
    scenes = Table(title="By scene / 按场景")
    scenes.add_column("scene / 场景")
    scenes.add_column("tCO2e", justify="right")
    for scene, value in result.by_scene.items():
        scenes.add_row(f"{scene} / {SCENE_NAMES_ZH[scene]}", f"{value:,.1f}")
    out.print(scenes)
    lines = Table(title="Lines / 明细")
    for column in ("id", "GPC", "scope", "scene", "tCO2e"):
        lines.add_column(column, justify="right" if column == "tCO2e" else "left")
    for line in result.lines:
        value = line.notation_key or f"{line.tco2e:,.2f}"
        lines.add_row(line.id, line.gpc, str(line.scope), line.scene, value)
    out.print(lines)


@inventory_app.command("compute")
def inventory_compute(
    file: InventoryFile,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="table (terminal default), json or csv.")] = None,
    gwp: GWPOption = None,
    factor_set: FactorSetOption = None,
    factors: FactorFiles = None,
    uncertainty: Annotated[int, typer.Option(help="Monte Carlo draws (IPCC Approach 2); 0 = none.", min=0)] = 0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Compute a county GHG inventory (计算清单) from an activity file."""
    try:
        result = _compute(file, gwp, factor_set, factors, uncertainty)
    except CountyZeroError as exc:
        raise fail(exc) from None
    fmt = _default_format(fmt) if output is None else (fmt or OutputFormat.json)
    if fmt is OutputFormat.table:
        _inventory_table(result)
        return
    if fmt is OutputFormat.json:
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)
    else:
        text = csv_text(["id", "gpc", "scope", "scene", "method", "notation_key", "tco2e", "biogenic_co2_t",
                         "factor_ids"],
                        ([line.id, line.gpc, line.scope, line.scene, line.method or "", line.notation_key or "",
                          line.tco2e, line.biogenic_co2_t, " ".join(line.factor_ids)] for line in result.lines))
    if output is not None:
        try:
            write_files({output: text})
        except CountyZeroError as exc:
            raise fail(exc) from None
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=not text.endswith("\n"))


@inventory_app.command("explain")
def inventory_explain(
    file: InventoryFile,
    line: Annotated[str | None, typer.Option(help="Only this line id.")] = None,
    gwp: GWPOption = None,
    factor_set: FactorSetOption = None,
    factors: FactorFiles = None,
) -> None:
    """Show the arithmetic of every line with its factors' sources (计算过程说明)."""
    from countyzero.core.trace import LineItem, Trace

    try:
        result = _compute(file, gwp, factor_set, factors)
    except CountyZeroError as exc:
        raise fail(exc) from None
    trace = Trace([LineItem(**{k: v for k, v in item.items() if k != "arithmetic"}) for item in result.trace])
    typer.echo(trace.explain(line))
    for entry in result.lines:
        if (line is None or entry.id == line) and entry.gases:
            parts = ", ".join(f"{g.gas} {g.tonnes:g} t × GWP {g.gwp:g} = {g.tco2e:g} tCO2e" for g in entry.gases)
            typer.echo(f"[{entry.id}] total: {parts} → {entry.tco2e:g} tCO2e")


@inventory_app.command("report")
def inventory_report(
    file: InventoryFile,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for report.html and inventory.json.")],
    gwp: GWPOption = None,
    factor_set: FactorSetOption = None,
    factors: FactorFiles = None,
    uncertainty: Annotated[int, typer.Option(help="Monte Carlo draws for the report.", min=0)] = 2000,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (WeasyPrint).")] = False,
) -> None:
    """Write a bilingual HTML report with figures (生成中英双语报告), and optionally a PDF."""
    from countyzero.reports.inventory import write_inventory_report

    try:
        result = _compute(file, gwp, factor_set, factors, uncertainty)
        path = write_inventory_report(result, output, pdf=pdf)
    except CountyZeroError as exc:
        raise fail(exc) from None
    typer.echo(f"wrote {path}")


@inventory_app.command("schema")
def inventory_schema() -> None:
    """Print the JSON Schema of the inventory input format."""
    from countyzero.inventory.model import InventoryInput

    print_json(InventoryInput.model_json_schema())


# platform ----------------------------------------------------------------------------------------
def _engine() -> Any:
    from countyzero.settings import Settings
    from countyzero.store.db import make_engine

    settings = Settings()
    return make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def _sessions() -> Any:
    from countyzero.store.db import reported_faults, session_factory, upgrade

    engine = _engine()
    try:
        with reported_faults(engine):
            upgrade(engine)
    except CountyZeroError as exc:
        raise fail(exc) from None
    return session_factory(engine)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Server processes (default: COUNTYZERO_WORKERS, 1); each has its own request limit.")] = None,
) -> None:
    """Start the web platform (启动平台); creates the embedded database on first use.

    Refuses to start in production (COUNTYZERO_ENVIRONMENT=production) without a secret of its own.
    """
    import uvicorn
    from pydantic import ValidationError

    from countyzero.settings import Settings
    from countyzero.web.app import create_app

    try:
        settings = Settings()
    except ValidationError as exc:
        raise fail(ValueError("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))) from None
    workers = workers or settings.workers
    if settings.environment == "production" and not settings.public_url:
        typer.echo("note: COUNTYZERO_PUBLIC_URL is not set: public links and QR codes follow the requests' Host "
                   "header (docs/operations.md)", err=True)
    typer.echo(f"CountyZero {__version__} on http://{host}:{port}/ (API description: /api/v1/openapi.json; "
               f"{workers} process(es))")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
        return
    _sessions()  # migrate once, before the processes start
    uvicorn.run("countyzero.cli:worker_app", factory=True, workers=workers, host=host, port=port,
                log_level="warning")


def worker_app() -> Any:
    """The application of one of ``serve --workers N``'s processes (the database is migrated by then)."""
    from countyzero.web.app import create_app

    return create_app(migrate=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (COUNTYZERO_DATABASE_URL; default: embedded SQLite)."""
    from countyzero.settings import Settings

    _sessions()
    typer.echo(f"database at head: {Settings().database_url}")


@db_app.command("backup")
def db_backup(
    output: Annotated[Path, typer.Argument(help="The archive to write (ZIP; replaced atomically if it exists).")],
) -> None:
    """Back up the database while it runs (在线备份): one consistent snapshot, checksummed (docs/operations.md)."""
    from countyzero.store.backup import backup

    try:
        manifest = backup(_engine(), output)
    except CountyZeroError as exc:
        raise fail(exc) from None
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    chain = manifest["audit_chain"] or {"length": 0, "problems": []}
    typer.echo(f"wrote {output}: {len(manifest['tables'])} tables, {rows} rows, revision {manifest['revision']}, "
               f"audit chain {chain['length']} entries")
    for problem in chain["problems"]:
        typer.echo(f"warning: audit chain of the database backed up: {problem}", err=True)


@db_app.command("restore")
def db_restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `countyzero db backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the contents of a database that has data.")]
    = False,
) -> None:
    """Restore a backup (恢复备份): checksums first, then everything in one transaction, then verified."""
    from countyzero.store.backup import restore
    from countyzero.store.db import database_name, head_revision

    engine = _engine()
    try:
        manifest = restore(engine, archive, force=force)
    except CountyZeroError as exc:
        raise fail(exc) from None
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    typer.echo(f"restored {archive} into {database_name(engine)}: {rows} rows, checksums and audit chain verified")
    if manifest["revision"] != head_revision():
        typer.echo(f"the database is at revision {manifest['revision']}; `countyzero db upgrade` brings it to "
                   f"{head_revision()}")


@admin_app.command("create-org")
def admin_create_org(name: Annotated[str, typer.Argument(help="Organisation name, e.g. Baoting County.")]) -> None:
    """Create an organisation."""
    from countyzero.services import accounts
    from countyzero.store.db import transaction

    try:
        with transaction(_sessions()) as session:
            org = accounts.create_organisation(session, name)
    except CountyZeroError as exc:
        raise fail(exc) from None
    typer.echo(f"created organisation {org.id}: {org.name}")


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Argument(help="The user's email (login name).")],
    org: Annotated[str, typer.Option("--org", help="Organisation name.")],
    role: Annotated[str, typer.Option("--role", help="county_admin, analyst, project_owner, financier or verifier.")],
) -> None:
    """Create a user; the password is read from standard input (one line)."""
    from countyzero.services import accounts
    from countyzero.store.db import transaction

    password = sys.stdin.readline().rstrip("\n")
    try:
        with transaction(_sessions()) as session:
            user = accounts.create_user(session, email, password, organisation=org, role=role)
    except CountyZeroError as exc:
        raise fail(exc) from None
    typer.echo(f"created user {user.id}: {user.email} ({user.role}, {org})")


DEMO_ORG = "Baoting County 保亭县"
DEMO_USERS = (("admin@baoting.demo", "county_admin"), ("analyst@baoting.demo", "analyst"),
              ("bank@baoting.demo", "financier"), ("owner@baoting.demo", "project_owner"),
              ("verifier@baoting.demo", "verifier"))
"""One demo user per role, so that every workflow (a label applied for by the owner and issued by the verifier,
credits issued by the verifier and retired by the owner) can be tried."""


DEMO_FOLDER = Path(__file__).resolve().parents[2] / "examples" / "baoting"
DEMO_PUBLISHED = ("inventory", "scenario")
"""The demo's kinds published for public visitors (the county's inventory and roadmap)."""


def demo_items(draws: int | None) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, name, input) of every demo assessment, read from ``examples/baoting`` (one per platform page)."""
    from countyzero.core.io import read_document
    from countyzero.services.engines import plain
    from countyzero.web.engine_routes import BY_PATH, finance_bundle, roadmap_bundle

    def read(relative: str, rows: str = "rows") -> dict[str, Any]:
        data: dict[str, Any] = plain(read_document(DEMO_FOLDER / relative, rows).data)
        return data

    county = {name: read(name, "scenarios") for name in (
        "roadmap.yaml", "inventory-2022.yaml", "scenarios/reference.yaml", "scenarios/hainan-policy.yaml",
        "scenarios/net-zero-2040.yaml")}
    roadmap = roadmap_bundle(county) | ({"draws": draws} if draws is not None else {})
    finance_files = {name: read(f"finance/{name}", "loans" if name == "portfolio.yaml" else "rows") for name in (
        "portfolio.yaml", "baoting-small-hydro.yaml", "baoting-rooftop-pv.yaml", "jiamao-health-park.yaml",
        "jiamao-buildings-result.json")}
    return [
        ("inventory", "保亭 Baoting 2022", read("inventory-2022.yaml", "activities")),
        ("scenario", "保亭 Baoting roadmap", roadmap),
        ("building", "加茂卫生院 Jiamao clinic", read("buildings/clinic_boq.yaml", "items")),
        ("finance", "保亭屋顶光伏 Baoting rooftop PV", read("finance/baoting-rooftop-pv.yaml")),
        ("finance_portfolio", "海口银行贷款组合 Haikou bank loan book",
         finance_bundle(BY_PATH["finance/portfolios"], finance_files)),
        ("appraisal", "保亭小水电 Baoting small hydro", read("finance/baoting-small-hydro.yaml")),
        ("credits", "阔叶林造林碳汇 Broadleaf afforestation (CCER)",
         {"standard": "ccer", "project": read("credits/broadleaf-arr.yaml", "monitoring"), "price": "cn-central"}),
        ("community", "示范村 Demo village 2025", read("community/village-2025.yaml", "households")),
        ("farm", "示范农场 Demo farm 2025", read("farms/demo-farm-2025.yaml", "fields")),
    ]


@app.command("demo-load")
def demo_load(
    password: Annotated[str, typer.Option(help="Password given to the demo users (demo only; never in production).")]
    = "baoting-demo-2040",
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws of the demo roadmap (default: the "
                                                   "roadmap's own).", min=0)] = None,
) -> None:
    """Load the Baoting demo organisation, users and one assessment per platform page from examples/baoting
    (inventory, roadmap, building, finance screening, loan book, appraisal, forest credits, community, farm);
    publish the inventory and the roadmap. Items already loaded are skipped; all or nothing."""
    from sqlalchemy import select

    from countyzero.services import accounts, assessments
    from countyzero.store.db import transaction
    from countyzero.store.models import Assessment, Organisation, User

    try:
        items = demo_items(draws)
        with transaction(_sessions()) as session:
            if session.scalars(select(Organisation).where(Organisation.name == DEMO_ORG)).first() is None:
                accounts.create_organisation(session, DEMO_ORG, actor="demo-load")
            present = set(session.scalars(select(User.email)))
            for email, role in DEMO_USERS:
                if email not in present:
                    accounts.create_user(session, email, password, organisation=DEMO_ORG, role=role,
                                         actor="demo-load")
            admin = session.scalars(select(User).where(User.email == DEMO_USERS[0][0])).one()
            who = accounts.principal_by_id(session, admin.id)
            loaded = {(a.kind, a.name) for a in session.scalars(
                select(Assessment).where(Assessment.organisation_id == who.organisation_id))}
            for kind, name, data in items:
                if (kind, name) in loaded:
                    continue
                assessment = assessments.create(session, who, kind, name, data)
                if kind in DEMO_PUBLISHED:
                    assessments.publish(session, who, assessment, True)
                typer.echo(f"loaded {kind}: {name}")
    except CountyZeroError as exc:
        raise fail(exc) from None
    typer.echo("Demo organisation: " + DEMO_ORG)
    for email, role in DEMO_USERS:
        typer.echo(f"  log in as {email} ({role}), password {password}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 and list the problems if it was tampered with."""
    from countyzero.services import audit

    with _sessions()() as session:
        problems = audit.verify_chain(session)
        total = audit.count(session)
    if problems:
        for problem in problems:
            typer.echo(f"TAMPERED: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {total} entries")


def main() -> None:
    """Console entry point: mounts only the engine group the command line names (all for help)."""
    words = [word for word in sys.argv[1:] if not word.startswith("-")]
    first = words[0] if words else None
    core = {c.name or (c.callback.__name__.replace("_", "-") if c.callback else "") for c in app.registered_commands}
    core |= {group.name for group in app.registered_groups if group.name}
    if first not in core:
        mount_engines([first] if first in ENGINE_GROUPS else None)
    app()
