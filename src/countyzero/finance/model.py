"""Input schema of a project file (documented in docs/finance.md; JSON Schema in docs/finance.schema.json)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from countyzero.core.io import INPUT_CONFIG
from countyzero.finance.rulebook import Framework, Quality

DnshKey = Literal["climate_risk_assessment", "water", "circular_economy", "pollution", "biodiversity"]
DNSH_KEYS: tuple[str, ...] = ("climate_risk_assessment", "water", "circular_economy", "pollution", "biodiversity")


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class ProjectHeader(_Strict):
    name: str = Field(min_length=1)
    date: dt.date = Field(description="assessment date (thresholds in force on this date apply)")
    id: str | None = None
    approval_date: dt.date | None = Field(default=None, description="loan approval / bond registration date "
                                       "(decides which China catalogue governs)")
    sector: str | None = Field(default=None, description="sector label for portfolio breakdowns")


class Evidence(_Strict):
    document: str = Field(min_length=1, description="document reference (title, file name)")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the document, 64 hex digits")
    page: int | None = Field(default=None, ge=1)
    quality: Quality

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class Links(_Strict):
    buildings_result: str | None = Field(default=None, description="buildings assessment JSON (7.1 life-cycle GWP)")
    credits_result: str | None = Field(default=None, description="credits estimate JSON (forestry climate benefit)")


class Loan(_Strict):
    amount: float = Field(gt=0, description="principal [CNY]")
    rate: float | None = Field(default=None, ge=0, lt=1, description="annual interest rate [fraction]")
    tenor_years: int = Field(gt=0, le=50)


class FinanceInput(_Strict):
    """Cash-flow inputs of the appraisal (currency CNY, pre-tax)."""

    capex: float = Field(gt=0, description="investment at year 0 [CNY]")
    lifetime_years: int = Field(gt=0, le=100)
    opex_per_year: float = Field(default=0.0, ge=0, description="[CNY/year]")
    annual_output_kwh: float | None = Field(default=None, gt=0, description="electricity delivered [kWh/year]")
    degradation_per_year: float = Field(default=0.0, ge=0, lt=1, description="output loss per year [fraction]")
    tariff_cny_per_kwh: float | None = Field(default=None, gt=0, description="default: the factor row")
    other_revenue_per_year: float = Field(default=0.0, ge=0, description="[CNY/year]")
    carbon_price_cny_per_t: float | None = Field(default=None, ge=0, description="default: the factor row")
    discount_rate: float | None = Field(default=None, gt=-1, lt=1, description="default: the factor row")
    loan: Loan | None = None
    sll_kpis: list[str] = Field(default_factory=list)


class ProjectFile(_Strict):
    """A project file: what is screened and appraised."""

    project: ProjectHeader
    activity: dict[Framework, str] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    dnsh: dict[DnshKey, bool] = Field(default_factory=dict)
    minimum_safeguards: bool | None = None
    links: Links = Field(default_factory=Links)
    finance: FinanceInput | None = None
