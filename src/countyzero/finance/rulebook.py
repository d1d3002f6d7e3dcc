"""Rulebooks: taxonomy criteria as versioned data (``rulebooks/*.yaml``), loaded into validated models.

A rulebook is one version of one framework (``eu``, ``cgt``, ``cn2021``, ``cn2025``): its validity dates, its
legal act, and per activity the criteria — each with a kind (substantial contribution, DNSH, minimum
safeguards), a test on a documented metric, a threshold with its unit, bilingual text, the legal reference
(act, annex, section, point) and what the text was checked against (``verification``). Nothing here is a
literal in engine code: the engine only applies what a rulebook says.

Example
-------
>>> from countyzero.finance.rulebook import default_rulebooks
>>> book = default_rulebooks()["eu"]
>>> [c.threshold for c in book.activities["4.5"].criteria if c.metric == "power_density_w_per_m2"]
[5.0]
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of

Framework = Literal["eu", "cgt", "cn2021", "cn2025"]
FRAMEWORKS: tuple[Framework, ...] = ("eu", "cgt", "cn2021", "cn2025")
Kind = Literal["substantial_contribution", "dnsh", "minimum_safeguards", "item_condition", "general_requirement"]
"""EU/CGT: the three parts of Art. 3 of Regulation (EU) 2020/852; China catalogues: a condition of the item's own
text (``item_condition``) or a requirement of the catalogue's notes for every item (``general_requirement``)."""
Op = Literal["gt", "ge", "lt", "le", "is_true", "is_false", "in", "reduction_ge", "definition", "not_applicable"]
Quality = Literal["audited", "reported", "estimated"]
QUALITY_RANK: dict[str, int] = {"estimated": 1, "reported": 2, "audited": 3}
NUMERIC_OPS = frozenset({"gt", "ge", "lt", "le", "reduction_ge"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metric(_Strict):
    """One documented metric name: its type, canonical unit and meaning."""

    name: str
    type: Literal["number", "bool", "enum"]
    unit: str | None = None
    values: tuple[str, ...] = ()
    en: str
    zh: str


class Condition(_Strict):
    """A test on a metric (``metric op threshold``) or a combination (``all`` / ``any``)."""

    metric: str | None = None
    op: Op | None = None
    threshold: float | None = None
    values: tuple[str, ...] = ()
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()

    def metrics(self) -> set[str]:
        names = {self.metric} if self.metric else set()
        for sub in (*self.all, *self.any):
            names |= sub.metrics()
        return names


class Criterion(_Strict):
    """One testable criterion of an activity, with its legal reference."""

    id: str
    kind: Kind = "substantial_contribution"
    metric: str | None = None
    op: Op
    threshold: float | None = None
    unit: str | None = None
    values: tuple[str, ...] = ()
    ref_metric: str | None = None
    any_of: str | None = None
    applies_if: Condition | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    requires_quality: Quality | None = None
    reference: str = Field(min_length=8)
    en: str = Field(min_length=3)
    zh: str = Field(min_length=2)
    verification: str = Field(min_length=3)

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or on >= self.valid_from) and (self.valid_to is None or on <= self.valid_to)

    def metrics(self) -> set[str]:
        names = {m for m in (self.metric, self.ref_metric) if m}
        if self.applies_if is not None:
            names |= self.applies_if.metrics()
        return names


class Activity(_Strict):
    code: str
    name_en: str
    name_zh: str
    contribution: str = ""
    criteria: tuple[Criterion, ...]
    eu_equivalent: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class Rulebook(_Strict):
    """One version of one framework's criteria."""

    framework: Framework
    id: str
    version: str
    title_en: str
    title_zh: str
    legal_act: str
    valid_from: date
    valid_to: date | None = None
    published: date | None = None
    supersedes: str | None = None
    source: str
    activities: dict[str, Activity]
    sha256: str
    file: str
    notes: tuple[str, ...] = ()

    def valid_on(self, on: date) -> bool:
        return on >= self.valid_from and (self.valid_to is None or on <= self.valid_to)

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    @model_validator(mode="after")
    def _references(self) -> Rulebook:
        for activity in self.activities.values():
            for criterion in activity.criteria:
                if criterion.op in NUMERIC_OPS and criterion.threshold is None:
                    raise ValueError(f"criterion {criterion.id} has no threshold")
        return self


@lru_cache(maxsize=1)
def metric_catalogue() -> dict[str, Metric]:
    """The documented metric names (``rulebooks/metrics.yaml``)."""
    data = yaml.safe_load(files("countyzero.finance").joinpath("rulebooks/metrics.yaml").read_text("utf-8"))
    return {name: Metric(name=name, **spec) for name, spec in data["metrics"].items()}


def _dnsh_criteria(code: str, spec: dict[str, Any], meta: dict[str, Any], prefix: str,
                   verification: str) -> list[dict[str, Any]]:
    out = []
    appendices = meta.get("appendices", {})
    for objective, info in meta["dnsh_objectives"].items():
        text = spec.get(objective)
        base = {"id": f"{code}.dnsh.{objective}", "kind": "dnsh", "verification": verification,
                "reference": f"{prefix}, Section {code}, DNSH ({info['en']})"}
        if text is None:
            out.append({**base, "op": "not_applicable",
                        "en": f"DNSH to {info['en']}: N/A in the act for this activity.",
                        "zh": f"对{info['zh']}无重大损害：本活动不适用。"})
            continue
        letters = [a for a in appendices if text == a or text.startswith(f"{a};") or text.startswith(f"{a} ")]
        detail = appendices[letters[0]]["en"] if letters else text
        detail_zh = appendices[letters[0]]["zh"] if letters else f"见法规原文：{text}"
        if letters:
            base["reference"] += f"; Appendix {letters[0]}"
        out.append({**base, "metric": f"dnsh.{info['project_key']}", "op": "is_true",
                    "en": f"DNSH to {info['en']}: {detail if letters else text}",
                    "zh": f"对{info['zh']}无重大损害：{detail_zh}"})
    return out


def _criterion(item: dict[str, Any], cid: str, reference: str, verification: str) -> dict[str, Any]:
    """A compact YAML criterion in model form: ``cid``, its reference (``reference`` + its ``point``), the
    rulebook's default verification unless it has its own, and the metric's unit for a numeric test."""
    out = dict(item)
    out["id"] = cid
    out["reference"] = f"{reference}, {out.pop('point')}"
    out.setdefault("verification", verification)
    if out.get("metric") and out.get("op") in NUMERIC_OPS and "unit" not in out:
        out["unit"] = "percent" if out["op"] == "reduction_ge" else metric_catalogue()[out["metric"]].unit
    return out


def _expand(raw: dict[str, Any], file: str, eu: Rulebook | None) -> dict[str, Any]:
    """Turn the compact YAML form into the full model form (references, DNSH, minimum safeguards)."""
    framework = raw["framework"]
    default_verification = raw.get("verification_default", "unverified")
    activities: dict[str, Any] = {}
    notes: list[str] = []
    if framework == "eu":
        prefix = raw["legal_act"]
        for code, spec in raw["activities"].items():
            criteria = [_criterion(item, f"{code}.sc.{item['id']}", f"{prefix}, Section {code}", default_verification)
                        for item in spec["criteria"]]
            criteria += _dnsh_criteria(code, spec["dnsh"], raw, prefix, default_verification)
            ms = raw["minimum_safeguards"]
            criteria.append({"id": f"{code}.ms", "kind": "minimum_safeguards", "metric": "minimum_safeguards",
                             "op": "is_true", "reference": ms["reference"], "en": ms["en"], "zh": ms["zh"],
                             "verification": "Regulation (EU) 2020/852 Art. 18 (undertaking-level gate)"})
            activities[code] = {"code": code, "name_en": spec["name_en"], "name_zh": spec["name_zh"],
                                "contribution": spec.get("contribution", ""), "criteria": criteria}
    elif framework == "cgt":
        if eu is None:
            raise InputError("the CGT rulebook needs the EU rulebook it restates", file=file)
        notes.append("CGT table not obtained: activity inclusion and scenarios are unverified leads; the EU "
                     "substantial-contribution criteria are applied (scenario-2 reading). CGT has no DNSH.")
        for code, spec in raw["activities"].items():
            source = eu.activities.get(spec["inherit"])
            if source is None:
                raise InputError(f"inherits unknown EU activity {spec['inherit']!r}", file=file,
                                 field=f"activities.{code}.inherit")
            scenario = spec["scenario"]
            criteria = []
            for criterion in source.criteria:
                if criterion.kind != "substantial_contribution":
                    continue
                data = criterion.model_dump()
                data["id"] = criterion.id.replace(f"{source.code}.", f"cgt.{code}.", 1)
                data["reference"] = (f"{raw['legal_act']}, activity {code} (scenario {scenario}: "
                                     f"{raw['scenarios'][scenario]['en']}; unverified) — criterion as "
                                     f"{criterion.reference}")
                data["verification"] = default_verification
                criteria.append(data)
            activities[code] = {"code": code, "name_en": source.name_en, "name_zh": source.name_zh,
                                "contribution": f"scenario {scenario}", "criteria": criteria,
                                "eu_equivalent": [source.code],
                                "notes": [f"China catalogue item (lead, unverified): "
                                          f"{spec.get('cn_item_zh_unverified', '')}", *spec.get("notes", [])]}
    else:
        general = raw["general_criteria"]
        for code, spec in raw["activities"].items():
            # The reference names the catalogue, its issuing document (in legal_act) and the item.
            entry = f"{spec['level1']} / item {spec['item_code']} {spec['name_zh']}"
            criteria = [_criterion({"kind": kind, **item}, f"{framework}.{code}.{item['id']}",
                                   f"{raw['legal_act']}, {entry}", default_verification)
                        for kind, items in (("general_requirement", general), ("item_condition", spec["criteria"]))
                        for item in items]
            mark = f"; 温室气体减排贡献 {spec['ghg_mark']}" if spec.get("ghg_mark") else ""
            activities[code] = {"code": code, "name_en": spec["name_en"], "name_zh": spec["name_zh"],
                                "contribution": f"{spec['level1']}{mark}", "criteria": criteria,
                                "eu_equivalent": spec.get("eu_equivalent", []),
                                "notes": [f"item {spec['item_code']} {spec['name_zh']} — {raw['text_column']} "
                                          f"(catalogue text, secondary copy): {spec['text_zh']}",
                                          *spec.get("notes", [])]}
    notes += [str(n) for n in raw.get("notes", [])]
    if raw.get("grandfathering"):
        notes.append(str(raw["grandfathering"]))
    return {"framework": framework, "id": raw["id"], "version": str(raw["version"]), "title_en": raw["title_en"],
            "title_zh": raw["title_zh"], "legal_act": raw["legal_act"], "valid_from": raw["valid_from"],
            "valid_to": raw.get("valid_to"), "published": raw.get("published"), "supersedes": raw.get("supersedes"),
            "source": raw["source"], "activities": activities, "notes": notes}


def parse_rulebook(text: str, file: str, eu: Rulebook | None = None) -> Rulebook:
    """Validate one rulebook file's text.

    Raises
    ------
    InputError
        Naming the file and the field of the first problem (malformed YAML, unknown metric, missing reference).
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=file) from None
    if not isinstance(raw, dict):
        raise InputError("a rulebook must be a mapping", file=file)
    try:
        data = _expand(raw, file, eu)
    except KeyError as exc:
        raise InputError("required field is missing", file=file, field=str(exc.args[0])) from None
    try:
        book = Rulebook.model_validate({**data, "sha256": sha256_of(text), "file": file})
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(error["msg"], file=file, field=".".join(str(p) for p in error["loc"])) from None
    catalogue = metric_catalogue()
    for activity in book.activities.values():
        for criterion in activity.criteria:
            for name in criterion.metrics():
                if not name.startswith("dnsh.") and name != "minimum_safeguards" and name not in catalogue:
                    raise InputError(f"criterion {criterion.id} uses undocumented metric {name!r}", file=file,
                                     field=f"activities.{activity.code}")
    return book


RULEBOOK_FILES: dict[Framework, str] = {
    "eu": "eu_ccm_2021_2139.yaml",
    "cgt": "cgt_2022_06.yaml",
    "cn2021": "cn2021_green_bond_catalogue.yaml",
    "cn2025": "cn2025_green_finance_catalogue.yaml",
}


def load_rulebooks(directory: str | None = None) -> dict[Framework, Rulebook]:
    """Load the four frameworks' rulebooks from ``directory`` (default: the shipped ``rulebooks/``)."""
    from pathlib import Path

    def read(name: str) -> tuple[str, str]:
        if directory is None:
            return files("countyzero.finance").joinpath(f"rulebooks/{name}").read_text("utf-8"), f"rulebooks/{name}"
        path = Path(directory) / name
        try:
            return path.read_text("utf-8"), str(path)
        except OSError as exc:
            raise InputError(f"cannot read rulebook: {exc.strerror}", file=str(path)) from None

    books: dict[Framework, Rulebook] = {}
    text, name = read(RULEBOOK_FILES["eu"])
    books["eu"] = parse_rulebook(text, name)
    for framework in ("cgt", "cn2021", "cn2025"):
        text, name = read(RULEBOOK_FILES[framework])
        books[framework] = parse_rulebook(text, name, eu=books["eu"])
    return books


@lru_cache(maxsize=1)
def default_rulebooks() -> dict[Framework, Rulebook]:
    """The shipped rulebooks (loaded once, on first use)."""
    return load_rulebooks()
