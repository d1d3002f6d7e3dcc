"""Engine adapters of the platform: a validated input document (a JSON object) → a JSON result.

Each adapter validates its input with the engine's own schema, names the row (item id or position) and field
of the first problem as an :class:`InputError`, and calls the engine only through its public functions.
Results are plain JSON (``model_dump(mode="json")`` or the engine's ``to_dict``), so they can be stored in the
generic ``assessment`` table and re-run (:func:`countyzero.services.assessments.rerun`).
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from countyzero.core import limits
from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of


def plain(data: Any) -> Any:
    """A JSON-safe copy of a parsed document (YAML dates become ISO strings)."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))


def validate(model: type[BaseModel], data: Any, rows_key: str | None = None, prefix: str = "") -> Any:
    """``model.model_validate(data)``; the first problem as an :class:`InputError` naming row and field."""
    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object", field=prefix.rstrip(".") or None)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = list(error["loc"])
        row: str | None = None
        if len(loc) >= 2 and isinstance(loc[1], int) and (rows_key is None or loc[0] == rows_key):
            rows = data.get(str(loc[0])) or []
            item = rows[loc[1]] if isinstance(rows, list) and loc[1] < len(rows) else {}
            row = str(item["id"]) if isinstance(item, dict) and item.get("id") else f"{loc[0]} #{loc[1] + 1}"
            loc = loc[2:]
        message = "required field is missing" if error["type"] == "missing" else \
            str(error["msg"]).removeprefix("Value error, ")
        field = prefix + ".".join(str(p) for p in loc) if loc else (prefix.rstrip(".") or None)
        raise InputError(message, row=row, field=field) from None


def _dump(result: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = plain(result.model_dump(mode="json"))
    return dumped


# buildings ---------------------------------------------------------------------------------------------
def building(data: dict[str, Any]) -> dict[str, Any]:
    """Whole-life carbon of a building from a BOQ document (``countyzero.buildings.assess_building``)."""
    from countyzero.buildings import BOQInput, assess_building

    boq = validate(BOQInput, data, "items")
    return _dump(assess_building(boq, input_digest=sha256_of(data)))


# finance -----------------------------------------------------------------------------------------------
PROJECT_EXTRA = ("rows", "files")
"""Keys of an uploaded project document that are not the project file: table rows of the reader, and the
linked results (``files``: ``{"name.json": {…}}``) that ``links:`` may name."""


def _linked_files(data: dict[str, Any], folder: Path) -> None:
    """Write the uploaded linked results (``files``) into ``folder``: ``links:`` resolve only there, never
    against the server's own files."""
    files = data.get("files") or {}
    if not isinstance(files, dict):
        raise InputError("files must map a file name to a JSON object", field="files")
    for name, content in files.items():
        if Path(name).name != name or name.startswith(".") or not isinstance(content, dict):
            raise InputError("each linked file is a plain file name with a JSON object", field=f"files.{name}")
        (folder / name).write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")


def _screen(data: Any, folder: Path, files: dict[str, Any], prefix: str = "", on: date | None = None,
            row: str | int | None = None) -> tuple[Any, dict[str, Any]]:
    """A project document validated and screened under every framework (``screen_project``); its ``links``
    must name files uploaded with it (``files``). Errors name ``row`` and ``prefix`` + field."""
    from countyzero.finance.model import ProjectFile
    from countyzero.finance.screening import screen_project

    if not isinstance(data, dict):
        raise InputError("give the project file as an object", row=row, field=prefix.rstrip(".") or None)
    body = {k: v for k, v in data.items() if k not in PROJECT_EXTRA}
    try:
        project = validate(ProjectFile, body, prefix=prefix)
        for link in ("buildings_result", "credits_result"):
            name = getattr(project.links, link)
            if name is not None and name not in files:
                raise InputError(f"upload the linked result {name!r} with the project", field=f"{prefix}links.{link}")
        result = screen_project(project, on=on, base_dir=folder, input_sha256=sha256_of(data))
    except InputError as exc:
        field = exc.field or ""
        field = field if field.startswith(prefix) else prefix + field
        raise InputError(exc.message.replace(str(folder) + "/", ""), row=row if row is not None else exc.row,
                         field=field.rstrip(".") or None) from None
    screened: dict[str, Any] = _relative(plain(result), (str(folder) + "/",))
    return project, screened


def finance(data: dict[str, Any]) -> dict[str, Any]:
    """Criterion-by-criterion screening of a project file (``countyzero.finance.screening.screen_project``).

    Linked results (``links:``) must be uploaded with the project as ``files: {"name.json": {…}}``.
    """
    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    with tempfile.TemporaryDirectory(prefix="countyzero-finance-") as folder:
        _linked_files(data, Path(folder))
        return _screen(data, Path(folder), data.get("files") or {})[1]


def _date(value: Any, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {value!r}", field=field) from None


def finance_portfolio(data: dict[str, Any]) -> dict[str, Any]:
    """A loan book's GAR-style ratios by framework and sector (``countyzero.finance.portfolio.loan_book``).

    Input: ``{"loans": [{"id", "amount", "counterparty_type", "product", "sector", "project": {…project
    file…}, "turnover_aligned_share", "capex_aligned_share"}, …], "files": {"name.json": {…}}, "date":
    "YYYY-MM-DD", "baseline": {…an earlier result's "screenings"…}}`` (files, date, baseline optional; without a
    date each project is screened on its own assessment date). Errors name the loan (``row``) and field.
    """
    from countyzero.finance.portfolio import loan_book

    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    unknown = sorted(set(data) - {"loans", "files", "date", "baseline", "baseline_id"})
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    on = _date(data.get("date"), "date")
    baseline = data.get("baseline")
    if baseline is not None and not (isinstance(baseline, dict) and all(
            isinstance(v, dict) and isinstance(v.get("frameworks"), dict) for v in baseline.values())):
        raise InputError("baseline must be an earlier portfolio result's screenings", field="baseline")
    loans = data.get("loans")

    def row_label(index: int) -> str:
        item = loans[index] if isinstance(loans, list) else None
        return str(item["id"]) if isinstance(item, dict) and item.get("id") else f"loans #{index + 1}"

    with tempfile.TemporaryDirectory(prefix="countyzero-portfolio-") as folder:
        _linked_files(data, Path(folder))
        files = data.get("files") or {}
        book = loan_book(loans, lambda project, row: _screen(project, Path(folder), files, "project.", on, row)[1],
                         row_label, baseline=baseline)
    return {"date": on.isoformat() if on else None, **book}


def appraisal(data: dict[str, Any]) -> dict[str, Any]:
    """Financing appraisal of a project file: its screening, cash flows, NPV, IRR, DSCR, LCOE, non-financial
    results, instruments and incentives (``countyzero.finance.appraisal.appraise_project``).

    Input: a project file with a ``finance`` section (+ ``files`` for its linked results, ``date``)."""
    from countyzero.finance.appraisal import appraise_project

    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    on = _date(data.get("date"), "date")
    with tempfile.TemporaryDirectory(prefix="countyzero-appraisal-") as folder:
        _linked_files(data, Path(folder))
        project, screening = _screen({k: v for k, v in data.items() if k != "date"}, Path(folder),
                                     data.get("files") or {}, on=on)
        result = appraise_project(project, screening)
    return {"project": screening["project"], "screening": screening, "appraisal": plain(result),
            "provenance": screening["provenance"]}


# credits -----------------------------------------------------------------------------------------------
def credits(data: dict[str, Any]) -> dict[str, Any]:
    """Credits by vintage under a standard, and their value when a price is given.

    Input: ``{"standard": "ccer", "project": {…project file…}, "price": "cn-central" | "credits.price…" |
    number, "currency": "CNY", "discount_rate": 0.08}`` (price, currency and discount rate optional).
    """
    from countyzero.credits import STANDARDS, ProjectInput, estimate_credits
    from countyzero.credits.valuation import credit_stream_value, resolve_price
    from countyzero.factors import default_library

    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    standard = data.get("standard", "ccer")
    if standard not in STANDARDS:
        raise InputError(f"unknown standard {standard!r}; choose one of {', '.join(STANDARDS)}", field="standard")
    unknown = sorted(set(data) - {"standard", "project", "price", "currency", "discount_rate"})
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    project = validate(ProjectInput, data.get("project"), "monitoring", prefix="project.")
    estimate = estimate_credits(project, str(standard), input_digest=sha256_of(data))
    result: dict[str, Any] = plain(estimate.to_dict())
    price_name = data.get("price")
    if price_name is not None:
        rate = data.get("discount_rate", 0.08)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= -1:
            raise InputError("discount_rate must be a number > -1", field="discount_rate")
        price = resolve_price(default_library(), str(price_name), currency=data.get("currency"))
        vintages = result["vintages"]
        years = [int(v["year"]) for v in vintages]
        value = credit_stream_value(years, [float(v["issuable_tco2e"]) for v in vintages], price.value,
                                    discount_rate=float(rate), base_year=years[0] if years else date.today().year,
                                    price_year=price.year)
        result["valuation"] = plain({"price": price.to_dict(), "discount_rate": rate, **value})
    return result


def write_county(root: Path, roadmap: dict[str, Any], inventory: dict[str, Any],
                 listed: list[dict[str, Any]]) -> dict[str, str]:
    """Write a roadmap bundle into ``root`` in the layout the pathways engine reads (``roadmap.yaml``,
    ``inventory.yaml``, ``scenarios/scenario-k.yaml``); the names errors use for each written file."""
    (root / "scenarios").mkdir()
    names = {str(root / "roadmap.yaml"): "roadmap", str(root / "inventory.yaml"): "inventory"}
    files = []
    for k, scenario in enumerate(listed):
        path = root / "scenarios" / f"scenario-{k + 1}.yaml"
        path.write_text(yaml.safe_dump({**scenario, "roadmap": "../roadmap.yaml"}, allow_unicode=True),
                        encoding="utf-8")
        files.append(f"scenarios/{path.name}")
        names[str(path)] = f"scenarios #{k + 1}"
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory, allow_unicode=True), encoding="utf-8")
    (root / "roadmap.yaml").write_text(yaml.safe_dump(
        {**roadmap, "inventory": "inventory.yaml", "scenarios": files}, allow_unicode=True), encoding="utf-8")
    return names


def locate_county_error(exc: InputError, names: dict[str, str], folder: str, prefix: str = "") -> InputError:
    """An engine error about a written bundle file, naming ``roadmap``, ``inventory`` or ``scenarios #k``."""
    where = names.get(str(exc.file), "roadmap" if exc.file else None)
    where = f"{prefix}{where}" if where else (prefix.rstrip(".") or None)
    field = f"{where}.{exc.field}" if where and exc.field else (exc.field or where)
    return InputError(exc.message.replace(folder + "/", ""), row=exc.row, field=field)


# pathways ----------------------------------------------------------------------------------------------
def scenarios(data: dict[str, Any]) -> dict[str, Any]:
    """Run a county roadmap (every scenario, wedges against the reference) from one JSON bundle.

    Input: ``{"roadmap": {…roadmap.yaml…}, "inventory": {…base-year inventory…}, "scenarios": [{…}, …],
    "draws": N, "seed": S}``; the bundle is written to a private temporary folder in the layout the engine
    reads (``countyzero.pathways.run_roadmap``), and errors name ``roadmap``, ``inventory`` or ``scenarios #k``.
    """
    from countyzero.pathways import run_roadmap

    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    unknown = sorted(set(data) - {"roadmap", "inventory", "scenarios", "draws", "seed"})
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    roadmap, inventory, listed = data.get("roadmap"), data.get("inventory"), data.get("scenarios")
    if not isinstance(roadmap, dict):
        raise InputError("give the roadmap as an object", field="roadmap")
    if not isinstance(inventory, dict):
        raise InputError("give the base-year inventory as an object", field="inventory")
    if not isinstance(listed, list) or not listed or not all(isinstance(s, dict) for s in listed):
        raise InputError("give at least one scenario object", field="scenarios")
    draws, seed = limits.draws(data.get("draws")), limits.whole_number(data.get("seed"), "seed")
    with tempfile.TemporaryDirectory(prefix="countyzero-roadmap-") as folder:
        names = write_county(Path(folder), roadmap, inventory, listed)
        try:
            result = run_roadmap(Path(folder), draws=draws, seed=seed)
        except InputError as exc:
            raise locate_county_error(exc, names, folder) from None
    return _dump(result)


# challenge ---------------------------------------------------------------------------------------------
BAOTING = Path(__file__).resolve().parents[3] / "examples" / "baoting"
"""The county folder a challenge entry is judged against when the organisation has no stored roadmap."""
CHALLENGE_FIELDS = {"solution", "county", "county_source", "scenario", "draws", "seed"}


def default_scenario(bundle: dict[str, Any]) -> str:
    """The scenario a bundle's entries are judged against: ``hainan-policy`` when there is one (the plan Baoting
    adopted, docs/challenge.md), else the first scenario that is not the roadmap's reference."""
    roadmap = bundle["roadmap"] if isinstance(bundle.get("roadmap"), dict) else {}
    ids = [str(s.get("id")) for s in bundle.get("scenarios") or [] if isinstance(s, dict)]
    if "hainan-policy" in ids:
        return "hainan-policy"
    policy = [i for i in ids if i != str(roadmap.get("reference"))]
    if not policy:
        raise InputError("the roadmap has no policy scenario to judge entries against", field="county.scenarios")
    return policy[0]


def _relative(value: Any, prefixes: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for prefix in prefixes:
            value = value.replace(prefix, "")
        return value
    if isinstance(value, list):
        return [_relative(v, prefixes) for v in value]
    if isinstance(value, dict):
        return {k: _relative(v, prefixes) for k, v in value.items()}
    return value


def challenge(data: dict[str, Any]) -> dict[str, Any]:
    """Evaluate a Climate Challenge entry against a county plan (``countyzero.challenge.evaluate_submission``).

    Input: ``{"solution": {…submission file…}, "county": {"roadmap", "inventory", "scenarios"} (a roadmap bundle
    as for ``scenarios``; absent: the Baoting example folder), "county_source": "…", "scenario": id, "draws": N,
    "seed": S}``. Errors name the measure (``row``) and ``solution.<field>`` or ``county.<file>.<field>``.
    """
    from countyzero.challenge import evaluate_submission, load_plan, read_submission

    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    unknown = sorted(set(data) - CHALLENGE_FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    solution, county, scenario = data.get("solution"), data.get("county"), data.get("scenario")
    if not isinstance(solution, dict):
        raise InputError("give the solution (a submission file) as an object", field="solution")
    if county is not None and not (isinstance(county, dict) and isinstance(county.get("roadmap"), dict)
                                   and isinstance(county.get("inventory"), dict)
                                   and isinstance(county.get("scenarios"), list)):
        raise InputError("give the county plan as {roadmap, inventory, scenarios}", field="county")
    if scenario is not None and (not isinstance(scenario, str) or not scenario.strip()):
        raise InputError("scenario must be a scenario id", field="scenario")
    draws, seed = limits.draws(data.get("draws")), limits.whole_number(data.get("seed"), "seed")
    with tempfile.TemporaryDirectory(prefix="countyzero-challenge-") as folder:
        root = Path(folder)
        solution_file = root / "solution.json"
        solution_file.write_text(json.dumps(solution, ensure_ascii=False), encoding="utf-8")
        names: dict[str, str] = {}
        county_dir = BAOTING
        if county is not None:
            (root / "county").mkdir()
            names = write_county(root / "county", county["roadmap"], county["inventory"], county["scenarios"])
            county_dir = root / "county"
            scenario = scenario or default_scenario(county)
        try:
            plan = load_plan(county_dir, scenario)
        except InputError as exc:
            raise locate_county_error(exc, names, folder, prefix="county.") from None
        try:
            evaluation = evaluate_submission(plan, read_submission(solution_file), draws=draws, seed=seed)
        except InputError as exc:
            if exc.file is not None and Path(exc.file) != solution_file:
                raise locate_county_error(exc, names, folder, prefix="county.") from None
            field = f"solution.{exc.field}" if exc.field else "solution"
            raise InputError(exc.message.replace(folder + "/", ""), row=exc.row, field=field) from None
        result = _dump(evaluation)
        result = _relative(result, (folder + "/", str(BAOTING.parents[1]) + "/"))
    result["submission"]["file"] = "solution"
    result["county_source"] = str(data.get("county_source") or ("assessment" if county else "examples/baoting"))
    return dict(result)


# labels ------------------------------------------------------------------------------------------------
LABEL_FIELDS = {"applicant", "year", "item", "rulebook", "trajectory", "evidence"}


def label(data: dict[str, Any]) -> dict[str, Any]:
    """Grade one item for the 1.5 °C label (``countyzero.lifestyle.grade_item``): the label application.

    Input: ``{"applicant": …, "year": 2030, "item": {…label item…}, "rulebook": …, "trajectory": …,
    "evidence": [{"document": …, "sha256": …}]}`` (rulebook, trajectory, evidence optional). The result holds the
    grade and ``"issued": null``; review, issue and revocation are separate acts of other users
    (:mod:`countyzero.services.labels`).
    """
    from countyzero.lifestyle import LabelItem, LabelRules, grade_item

    if not isinstance(data, dict):
        raise InputError("the input must be a JSON object")
    unknown = sorted(set(data) - LABEL_FIELDS)
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    applicant = data.get("applicant")
    if not isinstance(applicant, str) or not applicant.strip():
        raise InputError("applicant is missing", field="applicant")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise InputError("year must be a whole number", field="year")
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list) or not all(
            isinstance(e, dict) and isinstance(e.get("document"), str) and isinstance(e.get("sha256"), str)
            for e in evidence):
        raise InputError("evidence must be a list of {document, sha256}", field="evidence")
    item = validate(LabelItem, data.get("item"), "lines", prefix="item.")
    rules = LabelRules.load(data.get("rulebook"), data.get("trajectory"))
    try:
        grade = grade_item(item, rules, year=year)
    except InputError as exc:
        where = f"item.lines.{exc.row}" if exc.row is not None and exc.row != item.id else "item"
        raise InputError(exc.message, row=item.id, field=f"{where}.{exc.field}" if exc.field else where) from None
    return {"applicant": applicant.strip(), "year": year, "rulebook": rules.version,
            "trajectory": rules.trajectory.version, "grade": _dump(grade), "issued": None}


# community and farms -----------------------------------------------------------------------------------
def community(data: dict[str, Any]) -> dict[str, Any]:
    """Privacy-first community aggregate (``countyzero.community.summary``)."""
    from countyzero.community import CommunityInput, summary

    return _dump(summary(validate(CommunityInput, data, "households"), input_digest=sha256_of(data)))


def farm(data: dict[str, Any]) -> dict[str, Any]:
    """IPCC Tier 1 farm emissions, measures and product footprints (``countyzero.agrifood.assess_farm``)."""
    from countyzero.agrifood import FarmInput, assess_farm

    return _dump(assess_farm(validate(FarmInput, data), input_digest=sha256_of(data)))
