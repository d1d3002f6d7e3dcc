"""Guidance rules (``rulebooks/guidance_*.yaml``): instruments, incentives, SLL KPIs and the KPI/GAR rules."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of


class StatusRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    framework: str
    status: str


class Instrument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name_en: str
    name_zh: str
    requires_any: tuple[StatusRule, ...] = ()
    eu_activities: tuple[str, ...] = ()
    reference: str = Field(min_length=8)


class KpiRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    materiality_threshold: float = Field(gt=0, lt=1)
    materiality_reference: str
    gar_excluded: tuple[str, ...]
    gar_denominator_only: tuple[str, ...]
    gar_reference: str


class Guidance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    valid_from: Any
    instruments: tuple[Instrument, ...]
    incentives: tuple[Instrument, ...]
    sll_kpis: dict[str, tuple[str, ...]]
    kpi_rules: KpiRules
    sha256: str = ""

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"


def load_guidance(path: str | Path | None = None) -> Guidance:
    """Load a guidance file (default: the shipped ``guidance_2026_1.yaml``)."""
    if path is None:
        text, name = files("countyzero.finance").joinpath("rulebooks/guidance_2026_1.yaml").read_text("utf-8"), \
            "rulebooks/guidance_2026_1.yaml"
    else:
        name = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read guidance: {exc.strerror}", file=name) from None
    try:
        data = yaml.safe_load(text)
        return Guidance.model_validate({**data, "sha256": sha256_of(text)})
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=name) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(error["msg"], file=name, field=".".join(map(str, error["loc"]))) from None


@lru_cache(maxsize=1)
def default_guidance() -> Guidance:
    return load_guidance()
