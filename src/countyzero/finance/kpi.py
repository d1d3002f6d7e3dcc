"""KPIs: Article 8 turnover / CapEx / OpEx shares of a company, and a bank's GAR-style stock ratios."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from countyzero.core.errors import InputError
from countyzero.finance.guidance import Guidance, KpiRules, default_guidance

ActivityStatus = Literal["aligned", "eligible_not_aligned", "incomplete", "not_eligible", "not_assessed"]


class CompanyActivity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    activity: str
    status: ActivityStatus
    turnover: float = Field(ge=0)
    capex: float = Field(ge=0)
    opex: float = Field(default=0.0, ge=0)


def article8_kpis(activities: Sequence[CompanyActivity], *, opex_material: bool = True,
                  guidance: Guidance | None = None) -> dict[str, object]:
    """Turnover, CapEx and OpEx KPIs (Regulation (EU) 2020/852 Art. 8; Delegated Regulation (EU) 2021/2178
    Annex I, as amended by (EU) 2026/73).

    For each KPI: eligible share = Σ eligible / total, aligned share = Σ aligned / total (an ``incomplete``
    activity counts as eligible, never as aligned). Materiality (2026/73): activities marked ``not_assessed``
    may together make up less than the materiality threshold (10 %) of *each* KPI; their share is reported.
    With ``opex_material=False`` the OpEx KPI is not computed (total OpEx reported only).

    Raises
    ------
    InputError
        Non-assessed share of a KPI at or above the threshold, or a zero denominator.

    Example
    -------
    >>> a = [CompanyActivity(activity="4.1", status="aligned", turnover=60, capex=30, opex=5),
    ...      CompanyActivity(activity="7.7", status="eligible_not_aligned", turnover=30, capex=60, opex=5),
    ...      CompanyActivity(activity="-", status="not_eligible", turnover=10, capex=10, opex=10)]
    >>> article8_kpis(a)["turnover"]["aligned_share"]
    0.6
    """
    rules = (guidance or default_guidance()).kpi_rules
    out: dict[str, object] = {"materiality_reference": rules.materiality_reference}
    kpis = ["turnover", "capex"] + (["opex"] if opex_material else [])
    for kpi in kpis:
        total = sum(getattr(a, kpi) for a in activities)
        if total <= 0:
            raise InputError(f"total {kpi} is zero", field=kpi)
        not_assessed = sum(getattr(a, kpi) for a in activities if a.status == "not_assessed") / total
        if not_assessed >= rules.materiality_threshold:
            raise InputError(f"non-assessed activities are {not_assessed:.1%} of {kpi}; the materiality rule "
                             f"allows less than {rules.materiality_threshold:.0%}", field=kpi)
        eligible = sum(getattr(a, kpi) for a in activities
                       if a.status in ("aligned", "eligible_not_aligned", "incomplete")) / total
        aligned = sum(getattr(a, kpi) for a in activities if a.status == "aligned") / total
        out[kpi] = {"total": total, "eligible_share": eligible, "aligned_share": aligned,
                    "not_assessed_share": not_assessed}
    if not opex_material:
        out["opex"] = {"total": sum(a.opex for a in activities), "note": "OpEx not material: KPI not computed"}
    return out


CounterpartyType = Literal["csrd_nfc", "csrd_fc", "household", "local_government", "non_csrd", "sovereign",
                           "central_bank", "supranational", "trading_book", "derivative", "interbank_on_demand",
                           "cash", "other"]


class Exposure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    amount: float = Field(ge=0, description="gross carrying amount")
    counterparty_type: CounterpartyType
    product: Literal["general", "use_of_proceeds"] = "general"
    sector: str = "unspecified"
    turnover_aligned_share: float | None = Field(default=None, ge=0, le=1)
    capex_aligned_share: float | None = Field(default=None, ge=0, le=1)
    statuses: dict[str, str] = Field(default_factory=dict, description="screening status by framework")


def loan_book_ratios(exposures: Sequence[Exposure], frameworks: Sequence[str] = ("eu", "cgt", "cn2025", "cn2021"),
                     guidance: Guidance | None = None) -> dict[str, object]:
    """Stock ratios of aligned exposures, by framework and sector.

    EU GAR (Delegated Regulation (EU) 2021/2178 Art. 7 and Annex V): sovereigns, central banks, supranationals
    and the trading book are excluded from numerator and denominator; exposures to undertakings not subject to
    disclosure (non-CSRD, including every non-EU company), derivatives, on-demand interbank loans, cash and
    other assets are in the denominator only. General-purpose loans to CSRD undertakings count with the
    counterparty's turnover-based (or CapEx-based) aligned share; use-of-proceeds loans count in full when the
    financed project screens ``aligned``. Two ratios: turnover-based and CapEx-based. A BTAR-style ratio also
    admits non-CSRD use-of-proceeds exposures. For CGT and the China catalogues the ratio is the aligned
    share of all covered exposures (no regulatory denominator rule exists; documented, not a legal ratio).
    """
    rules = (guidance or default_guidance()).kpi_rules
    covered = [e for e in exposures if e.counterparty_type not in rules.gar_excluded]
    denominator = sum(e.amount for e in covered)
    if denominator <= 0:
        raise InputError("no covered exposures (all excluded or zero)", field="exposures")
    result: dict[str, object] = {"denominator": denominator, "reference": rules.gar_reference,
                                 "excluded": sum(e.amount for e in exposures) - denominator}

    def numerator(e: Exposure, fw: str, basis: str, btar: bool) -> float:
        if fw == "eu" and e.counterparty_type in rules.gar_denominator_only and not (
                btar and e.counterparty_type == "non_csrd"):
            return 0.0
        if e.product == "use_of_proceeds":
            return e.amount if e.statuses.get(fw) == "aligned" else 0.0
        if fw == "eu" and e.counterparty_type in ("csrd_nfc", "csrd_fc"):
            share = e.turnover_aligned_share if basis == "turnover" else e.capex_aligned_share
            return e.amount * (share or 0.0)
        return 0.0

    for fw in frameworks:
        entry: dict[str, object] = {}
        for basis in ("turnover", "capex"):
            value = sum(numerator(e, fw, basis, False) for e in covered)
            entry[f"{basis}_based_ratio"] = value / denominator
        if fw == "eu":
            entry["btar_turnover_based_ratio"] = sum(numerator(e, fw, "turnover", True) for e in covered) / denominator
        sectors: dict[str, float] = {}
        for e in covered:
            sectors[e.sector] = sectors.get(e.sector, 0.0) + numerator(e, fw, "turnover", False)
        entry["by_sector_turnover_based"] = {k: v / denominator for k, v in sorted(sectors.items())}
        result[fw] = entry
    result["exposures"] = [_treatment(e, frameworks, rules, numerator) for e in exposures]
    return result


def _treatment(e: Exposure, frameworks: Sequence[str], rules: KpiRules,
               numerator: Callable[[Exposure, str, str, bool], float]) -> dict[str, object]:
    """Whether an exposure counts, in which ratio and why (the rule of :func:`loan_book_ratios` it falls under)."""
    if e.counterparty_type in rules.gar_excluded:
        why = f"{e.counterparty_type}: excluded from numerator and denominator"
        treatment = "excluded"
    elif e.counterparty_type in rules.gar_denominator_only:
        why = f"{e.counterparty_type}: EU GAR denominator only"
        if e.product == "use_of_proceeds" and e.counterparty_type == "non_csrd":
            why += "; BTAR-style ratio and CGT/China ratios count it when its project is aligned"
        treatment = "denominator_only"
    elif e.product == "use_of_proceeds":
        why = "use of proceeds: counts in full where the financed project is aligned"
        treatment = "covered"
    elif e.counterparty_type in ("csrd_nfc", "csrd_fc"):
        why = (f"general purpose to a CSRD undertaking: × its aligned share (turnover "
               f"{e.turnover_aligned_share or 0:.0%}, CapEx {e.capex_aligned_share or 0:.0%}) under EU")
        treatment = "covered"
    else:
        why = f"general purpose to {e.counterparty_type}: in the denominator, no aligned share to count"
        treatment = "covered"
    covered = treatment != "excluded"
    return {"id": e.id, "amount": e.amount, "counterparty_type": e.counterparty_type, "product": e.product,
            "sector": e.sector, "statuses": e.statuses, "treatment": treatment, "why": why,
            "in_denominator": covered,
            "numerator_turnover_based": {fw: numerator(e, fw, "turnover", False) if covered else 0.0
                                         for fw in frameworks}}
