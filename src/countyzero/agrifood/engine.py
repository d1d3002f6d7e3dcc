"""Farm emissions, IPCC 2019 Refinement Tier 1: rice CH4, soil N2O, urea CO2, enteric and manure CH4.

Pure functions compute each source from factor-library rows; :func:`assess_farm` adds them up per field, herd,
source and gas, applies low-carbon measures (alternate wetting and drying, straw management, fertiliser reduction)
one at a time and together, gives per-kg farm-gate footprints of products (for the label) and GPC lines for the
county inventory (land scene, V.1 livestock and V.3 aggregate/non-CO2 sources on land). Wet-climate factors are
used for N2O (Baoting is humid tropical).

Example
-------
>>> from countyzero.agrifood.model import FarmInput
>>> farm = FarmInput.model_validate({"farm": "demo", "year": 2025, "rice_region": "", "fields": [
...     {"id": "p1", "crop": "rice", "area_ha": 1, "rice": {}}]})
>>> round(assess_farm(farm).by_source["rice_ch4"], 6)  # 1.19 kg/ha/d × 113 d × 1 ha × 28 / 1000
3.76516
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from countyzero.agrifood.model import (
    FarmInput,
    FarmResult,
    FieldInput,
    Herd,
    InlineFactor,
    Measure,
    MeasureEffect,
    Product,
    ProductFootprint,
    RiceCultivation,
    SourceAmount,
    UnitResult,
)
from countyzero.core.chemistry import CO2_PER_C, N2O_PER_N2O_N
from countyzero.core.errors import FactorNotFoundError, InputError, UnitError
from countyzero.core.gwp import GWPSet
from countyzero.core.trace import LineItem, Provenance, sha256_of
from countyzero.core.units import conversion_factor
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.lifestyle.model import LabelItem

ENGINE = "countyzero.agrifood"
METHOD = "2019 Refinement to the 2006 IPCC Guidelines, Vol. 4, Tier 1 (Eq. 5.1-5.3, 10.19, 10.22, 11.1, 11.9-11.13)"
SOURCES = ("rice_ch4", "n2o_direct", "n2o_indirect", "urea_co2", "enteric_ch4", "manure_ch4")
_GAS_OF = {"rice_ch4": "CH4", "n2o_direct": "N2O", "n2o_indirect": "N2O", "urea_co2": "CO2", "enteric_ch4": "CH4",
           "manure_ch4": "CH4"}
_GPC_OF = {"rice_ch4": "V.3", "n2o_direct": "V.3", "n2o_indirect": "V.3", "urea_co2": "V.3", "enteric_ch4": "V.1",
           "manure_ch4": "V.1"}


@dataclass(frozen=True, slots=True)
class Param:
    """A factor value in a known unit, with its id and citation for the trace."""

    value: float
    unit: str
    factor_id: str
    source: str
    note: str = ""


@dataclass
class Parameters:
    """Looks up IPCC Tier 1 parameters in the factor library, preferring the chosen defaults."""

    library: FactorLibrary
    defaults: str
    rice_region: str
    used: dict[str, str] = field(default_factory=dict)

    @property
    def sets(self) -> tuple[str, ...]:
        return (self.defaults, "ipcc2006") if self.defaults != "ipcc2006" else ("ipcc2006",)

    def get(self, parameter: str, activity: str, unit: str, *, gas: str = "", technology: str = "",
            row: str | None = None, field_name: str | None = None) -> Param:
        """The value of a parameter converted to ``unit``.

        Raises
        ------
        InputError
            If no row matches (an unknown water regime, amendment, species …), naming the line and field.
        """
        try:
            match = self.library.find(parameter, activity, gas=gas, factor_set=self.sets, technology=technology)
        except FactorNotFoundError:
            known = sorted(self.library.activities(parameter))
            hint = f"; known: {', '.join(known)}" if len(known) < 40 else ""
            raise InputError(f"unknown {parameter.replace('_', ' ')} {activity!r}{hint}", row=row,
                             field=field_name) from None
        factor = match.factor
        self.used[factor.id] = factor.citation
        return Param(factor.value * conversion_factor(factor.unit, unit), unit, factor.id, factor.citation,
                     match.fallback_note)


def _inline(factor: InlineFactor, unit: str, line: str, field_name: str) -> Param:
    try:
        value = factor.value * conversion_factor(factor.unit, unit)
    except UnitError:
        raise InputError(f"inline factor unit {factor.unit!r} does not convert to {unit}", row=line,
                         field=field_name) from None
    return Param(value, unit, f"inline:{line}.{field_name}", factor.source)


def _item(line: str, step: str, quantity: float, q_unit: str, result: float, r_unit: str, p: Param | None,
          note: str = "") -> LineItem:
    return LineItem(line_id=line, step=step, quantity=quantity, quantity_unit=q_unit, result=result,
                    result_unit=r_unit, factor_id=p.factor_id if p else None, factor_value=p.value if p else None,
                    factor_unit=p.unit if p else None, source=p.source if p else None,
                    note="; ".join(filter(None, [note, p.note if p else ""])))


def rice_ch4_kg(field_id: str, area_ha: float, rice: RiceCultivation, params: Parameters,
                trace: list[LineItem]) -> float:
    """Annual CH4 from a flooded rice field [kg CH4].

    Parameters
    ----------
    area_ha : float
        Harvested area per season [ha].
    rice : RiceCultivation
        Water regime, pre-season regime, days per season, seasons per year, organic amendments.

    Equation
    --------
    IPCC 2019 Vol. 4 Eq. 5.1–5.3: ``CH4 = EF_c × SF_w × SF_p × SF_o × t × A × seasons``, with
    ``SF_o = (1 + Σ ROA_i × CFOA_i)^0.59``.

    Raises
    ------
    InputError
        Unknown water regime, pre-season regime or amendment type.
    """
    ef_c = (_inline(rice.baseline_ef, "kg/ha/day", field_id, "rice.baseline_ef") if rice.baseline_ef else
            params.get("emission_factor", "rice_continuously_flooded", "kg/ha/day", gas="CH4",
                       technology=params.rice_region, row=field_id, field_name="rice"))
    sf_w = params.get("rice_scaling_factor", rice.water_regime, "dimensionless", row=field_id,
                      field_name="rice.water_regime")
    sf_p = params.get("rice_preseason_factor", rice.preseason, "dimensionless", row=field_id,
                      field_name="rice.preseason")
    exponent = params.get("rice_organic_exponent", "organic_amendment", "dimensionless", row=field_id)
    total_oa = 0.0
    for index, amendment in enumerate(rice.organic_amendments):
        cfoa = params.get("rice_organic_conversion_factor", amendment.type, "dimensionless", row=field_id,
                          field_name=f"rice.organic_amendments.{index}.type")
        total_oa += amendment.t_per_ha * cfoa.value
        trace.append(_item(field_id, f"ROA × CFOA ({amendment.type})", amendment.t_per_ha, "t/ha",
                           amendment.t_per_ha * cfoa.value, "t/ha", cfoa))
    sf_o = (1.0 + total_oa) ** exponent.value
    days = (Param(rice.cultivation_days, "day", "input", "farm file") if rice.cultivation_days else
            params.get("rice_cultivation_period", "rice", "day", row=field_id))
    ef_daily = ef_c.value * sf_w.value * sf_p.value * sf_o
    trace.append(_item(field_id, "EF_c (baseline, continuously flooded, no amendments)", 1, "ha·day",
                       ef_c.value, "kg CH4", ef_c))
    trace.append(_item(field_id, "× SF_w (water regime)", ef_c.value, "kg/ha/day", ef_c.value * sf_w.value,
                       "kg/ha/day", sf_w))
    trace.append(_item(field_id, "× SF_p (pre-season)", ef_c.value * sf_w.value, "kg/ha/day",
                       ef_c.value * sf_w.value * sf_p.value, "kg/ha/day", sf_p))
    trace.append(_item(field_id, "× SF_o = (1 + Σ ROA·CFOA)^0.59", ef_c.value * sf_w.value * sf_p.value,
                       "kg/ha/day", ef_daily, "kg/ha/day", exponent, note=f"SF_o = {sf_o:.6g}"))
    kg = ef_daily * days.value * area_ha * rice.seasons
    trace.append(_item(field_id, "CH4 = EF_i × days × area × seasons", area_ha * rice.seasons, "ha",
                       kg, "kg CH4", days, note=f"EF_i = {ef_daily:.6g} kg/ha/day"))
    return kg


def soil_n2o_kg(field: FieldInput, params: Parameters, trace: list[LineItem]) -> tuple[float, float]:
    """Direct and indirect N2O from N applied to a field [kg N2O per year].

    Equation
    --------
    Direct (Eq. 11.1): ``N2O-N = F_SN × EF1 + F_ON × EF1_ON`` (flooded rice: EF1FR for both).
    Indirect (Eq. 11.9, 11.10): ``N2O-N = (F_SN × FracGASF + F_ON × FracGASM) × EF4
    + (F_SN + F_ON) × FracLEACH × EF5``. ``N2O = N2O-N × 44/28``.
    """
    f_sn, f_on = field.synthetic_n_kg, field.organic_n_kg
    if f_sn == 0 and f_on == 0:
        return 0.0, 0.0
    if field.crop == "rice":
        ef_sn = ef_on = params.get("emission_factor", "flooded_rice_n", "kg/kg", gas="N2O-N", row=field.id)
    else:
        ef_sn = params.get("emission_factor", "synthetic_fertiliser_n", "kg/kg", gas="N2O-N", row=field.id)
        ef_on = params.get("emission_factor", "organic_n", "kg/kg", gas="N2O-N", row=field.id)
    direct_n = f_sn * ef_sn.value + f_on * ef_on.value
    trace.append(_item(field.id, "direct N2O-N, synthetic N × EF1", f_sn, "kg N", f_sn * ef_sn.value, "kg N2O-N",
                       ef_sn))
    if f_on:
        trace.append(_item(field.id, "direct N2O-N, organic N × EF1", f_on, "kg N", f_on * ef_on.value,
                           "kg N2O-N", ef_on))
    gasf = params.get("frac", "gasf", "dimensionless", row=field.id)
    gasm = params.get("frac", "gasm", "dimensionless", row=field.id)
    leach = params.get("frac", "leach", "dimensionless", row=field.id)
    ef4 = params.get("emission_factor", "n_volatilisation_redeposition", "kg/kg", gas="N2O-N", row=field.id)
    ef5 = params.get("emission_factor", "n_leaching_runoff", "kg/kg", gas="N2O-N", row=field.id)
    volatilised = f_sn * gasf.value + f_on * gasm.value
    leached = (f_sn + f_on) * leach.value
    trace.append(_item(field.id, "volatilised N = F_SN × FracGASF + F_ON × FracGASM", f_sn + f_on, "kg N",
                       volatilised, "kg N", gasf, note=f"FracGASM {gasm.value:g} ({gasm.factor_id})"))
    trace.append(_item(field.id, "indirect N2O-N (deposition) = volatilised N × EF4", volatilised, "kg N",
                       volatilised * ef4.value, "kg N2O-N", ef4))
    trace.append(_item(field.id, "leached N = (F_SN + F_ON) × FracLEACH", f_sn + f_on, "kg N", leached, "kg N",
                       leach))
    trace.append(_item(field.id, "indirect N2O-N (leaching) = leached N × EF5", leached, "kg N",
                       leached * ef5.value, "kg N2O-N", ef5))
    indirect_n = volatilised * ef4.value + leached * ef5.value
    return direct_n * N2O_PER_N2O_N, indirect_n * N2O_PER_N2O_N


def urea_co2_kg(field: FieldInput, params: Parameters, trace: list[LineItem]) -> float:
    """CO2 from urea application [kg CO2]: ``M_urea × EF (t C/t) × 44/12`` (IPCC 2006/2019 Eq. 11.13)."""
    if not field.urea_t:
        return 0.0
    ef = params.get("urea_carbon_fraction", "urea", "t/t", row=field.id, field_name="urea_t")
    kg = field.urea_t * 1000.0 * ef.value * CO2_PER_C
    trace.append(_item(field.id, "urea CO2 = M × EF × 44/12", field.urea_t, "t urea", kg, "kg CO2", ef))
    return kg


def livestock_ch4_kg(herd: Herd, params: Parameters, trace: list[LineItem]) -> tuple[float, float]:
    """Enteric and manure-management CH4 of a herd [kg CH4/yr]: ``heads × EF`` (Eq. 10.19, 10.22)."""
    enteric = (_inline(herd.enteric_ef, "kg/yr", herd.id, "enteric_ef") if herd.enteric_ef else
               params.get("emission_factor", f"enteric_{herd.species}", "kg/yr", gas="CH4", row=herd.id,
                          field_name="species"))
    manure = (_inline(herd.manure_ef, "kg/yr", herd.id, "manure_ef") if herd.manure_ef else
              params.get("emission_factor", f"manure_{herd.species}", "kg/yr", gas="CH4", row=herd.id,
                         field_name="species"))
    trace.append(_item(herd.id, "enteric CH4 = heads × EF", herd.heads, "head", herd.heads * enteric.value,
                       "kg CH4", enteric))
    trace.append(_item(herd.id, "manure CH4 = heads × EF", herd.heads, "head", herd.heads * manure.value,
                       "kg CH4", manure))
    return herd.heads * enteric.value, herd.heads * manure.value


@dataclass
class _Totals:
    by_field: dict[str, dict[str, float]]
    by_herd: dict[str, dict[str, float]]
    trace: list[LineItem]


def _compute(farm: FarmInput, params: Parameters) -> _Totals:
    """kg of gas by source for every field and herd."""
    trace: list[LineItem] = []
    by_field: dict[str, dict[str, float]] = {}
    for fld in farm.fields:
        sources = dict.fromkeys(("rice_ch4", "n2o_direct", "n2o_indirect", "urea_co2"), 0.0)
        if fld.rice is not None:
            sources["rice_ch4"] = rice_ch4_kg(fld.id, fld.area_ha, fld.rice, params, trace)
        sources["n2o_direct"], sources["n2o_indirect"] = soil_n2o_kg(fld, params, trace)
        sources["urea_co2"] = urea_co2_kg(fld, params, trace)
        by_field[fld.id] = sources
    by_herd: dict[str, dict[str, float]] = {}
    for herd in farm.livestock:
        enteric, manure = livestock_ch4_kg(herd, params, trace)
        by_herd[herd.id] = {"enteric_ch4": enteric, "manure_ch4": manure}
    return _Totals(by_field, by_herd, trace)


def _co2e_t(sources: dict[str, float], gwp: GWPSet) -> float:
    return sum(kg / 1000.0 * gwp.value(_GAS_OF[s], "non_fossil" if _GAS_OF[s] == "CH4" else None)
               for s, kg in sources.items())


def apply_measure(farm: FarmInput, measure: Measure) -> tuple[FarmInput, list[str]]:
    """The farm as it would be with a measure in place, and the fields it changed.

    * ``alternate_wetting_drying``: water regime → multiple drainage (SF_w key ``intermittent_multiple_aeration``);
    * ``straw_management``: straw incorporated < 30 d before cultivation → > 30 d before (or removed);
    * ``fertiliser_reduction``: synthetic N and urea × (1 − fraction).

    Raises
    ------
    InputError
        If a named field does not exist or the measure does not apply to it.
    """
    ids = {f.id for f in farm.fields}
    for name in measure.fields:
        if name not in ids:
            raise InputError(f"measure {measure.type} names unknown field {name!r}", field="measures.fields")
    targets = set(measure.fields) or ids
    changed: list[str] = []
    fields = []
    for fld in farm.fields:
        new = fld
        if fld.id in targets:
            if measure.type == "alternate_wetting_drying" and fld.rice is not None \
                    and fld.rice.water_regime == "continuously_flooded":
                new = fld.model_copy(update={"rice": fld.rice.model_copy(
                    update={"water_regime": "intermittent_multiple_aeration"})})
            elif measure.type == "straw_management" and fld.rice is not None \
                    and any(a.type == "straw_lt_30d" for a in fld.rice.organic_amendments):
                amendments = [a.model_copy(update={"type": "straw_gt_30d"}) if a.type == "straw_lt_30d" else a
                              for a in fld.rice.organic_amendments
                              if not (measure.straw == "removed" and a.type == "straw_lt_30d")]
                new = fld.model_copy(update={"rice": fld.rice.model_copy(update={"organic_amendments": amendments})})
            elif measure.type == "fertiliser_reduction" and (fld.synthetic_n_kg or fld.urea_t):
                keep = 1.0 - float(measure.fraction or 0.0)
                new = fld.model_copy(update={"synthetic_n_kg": fld.synthetic_n_kg * keep, "urea_t": fld.urea_t * keep})
        if new is not fld:
            changed.append(fld.id)
        fields.append(new)
    if measure.fields and not changed:
        raise InputError(f"measure {measure.type} does not apply to field(s) {', '.join(measure.fields)}",
                         field="measures")
    return farm.model_copy(update={"fields": fields}), changed


def _inventory_lines(farm: FarmInput, totals: dict[str, float], library_version: str) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for source in SOURCES:
        kg = totals.get(source, 0.0)
        if kg <= 0:
            continue
        gas = _GAS_OF[source]
        lines.append({
            "id": f"farm-{farm.farm}-{source}".replace(" ", "_"), "gpc": _GPC_OF[source],
            "description": f"{farm.farm}: {source.replace('_', ' ')} ({farm.year})",
            "quantity": kg / 1000.0, "unit": "t",
            "factor": {"value": 1.0, "unit": "t/t", "gas": gas,
                       "source": f"countyzero.agrifood farm assessment of {farm.farm}, {METHOD}; "
                                 f"factor set {library_version}"},
        })
    return lines


def assess_farm(farm: FarmInput, *, library: FactorLibrary | None = None,
                input_digest: str | None = None) -> FarmResult:
    """Assess a farm: emissions by field, herd, source and gas; measures; product footprints; inventory lines.

    Parameters
    ----------
    farm : FarmInput
        Fields (area, rice practice, N and urea applied), herds, products and measures.
    library : FactorLibrary, optional
        Factor rows (the shipped set when omitted).

    Returns
    -------
    FarmResult
        ``total_tco2e`` = Σ gas [t] × GWP (CH4 non-fossil where the GWP set distinguishes it).

    References
    ----------
    2019 Refinement to the 2006 IPCC Guidelines, Vol. 4: Ch. 5.5 (rice), Ch. 10 (livestock), Ch. 11 (N2O, urea).

    Raises
    ------
    InputError
        Unknown water regime, amendment, species or factor; duplicate ids; products naming unknown fields or herds.
    """
    lib = library or default_library()
    _check_ids(farm)
    gwp = GWPSet.load(farm.gwp, ch4_by_origin=farm.ch4_by_origin, library=lib)
    params = Parameters(lib, farm.ipcc_defaults, farm.rice_region)
    base = _compute(farm, params)
    by_source: dict[str, float] = dict.fromkeys(SOURCES, 0.0)
    by_gas: dict[str, float] = defaultdict(float)
    kg_totals: dict[str, float] = dict.fromkeys(SOURCES, 0.0)
    fields_out: list[UnitResult] = []
    herds_out: list[UnitResult] = []
    for table, out in ((base.by_field, fields_out), (base.by_herd, herds_out)):
        for unit_id, sources in table.items():
            amounts = []
            for source, kg in sources.items():
                gas = _GAS_OF[source]
                t_co2e = _co2e_t({source: kg}, gwp)
                by_source[source] += t_co2e
                by_gas[gas] += kg / 1000.0
                kg_totals[source] += kg
                amounts.append(SourceAmount(source=source, gas=gas, tonnes_gas=kg / 1000.0, tco2e=t_co2e))
            out.append(UnitResult(id=unit_id, tco2e=sum(a.tco2e for a in amounts), sources=amounts))
    total = sum(by_source.values())
    effects: list[MeasureEffect] = []
    with_all: FarmInput | None = None
    for measure in farm.measures:
        changed_farm, changed = apply_measure(farm, measure)
        saved = total - _farm_total(_compute(changed_farm, params), gwp)
        effects.append(MeasureEffect(type=measure.type, fields=changed, tco2e_saved=saved,
                                     percent_of_farm=100.0 * saved / total if total else 0.0))
        with_all = apply_measure(with_all or farm, measure)[0]
    combined = _compute(with_all, params) if with_all is not None else None
    products = [_product(p, base, combined, gwp) for p in farm.products]
    provenance = Provenance(
        engine=ENGINE, method=METHOD, factor_set_version=lib.version, factor_set_digest=lib.digest,
        gwp_set=f"{gwp.label()} — {gwp.source}", input_sha256=input_digest or sha256_of(farm.model_dump_json()),
        factor_overrides=lib.overrides, extra={"ipcc_defaults": farm.ipcc_defaults, "factors_used": params.used})
    return FarmResult(
        farm=farm.farm, year=farm.year, gwp=gwp.name, ipcc_defaults=farm.ipcc_defaults, total_tco2e=total,
        by_source=by_source, by_gas_t=dict(by_gas), fields=fields_out, herds=herds_out, products=products,
        measures=effects, total_with_measures_tco2e=_farm_total(combined, gwp) if combined else None,
        inventory_lines=_inventory_lines(farm, kg_totals, lib.version), trace=[t.to_dict() for t in base.trace],
        provenance=provenance.to_dict())


def _farm_total(totals: _Totals, gwp: GWPSet) -> float:
    return sum(_co2e_t(s, gwp) for s in (*totals.by_field.values(), *totals.by_herd.values()))


def _product(product: Product, base: _Totals, combined: _Totals | None, gwp: GWPSet) -> ProductFootprint:
    def share(totals: _Totals) -> float:
        t = sum(_co2e_t(totals.by_field[f], gwp) for f in product.fields)
        t += sum(_co2e_t(totals.by_herd[h], gwp) for h in product.herds)
        return t * 1000.0 / product.quantity_kg

    return ProductFootprint(name=product.name, quantity_kg=product.quantity_kg, kgco2e_per_kg=share(base),
                            kgco2e_per_kg_with_measures=share(combined) if combined else None)


def _check_ids(farm: FarmInput) -> None:
    seen: set[str] = set()
    for kind, ids in (("field", [f.id for f in farm.fields]), ("herd", [h.id for h in farm.livestock])):
        for unit_id in ids:
            if unit_id in seen:
                raise InputError(f"duplicate {kind} id {unit_id!r}", row=unit_id, field="id")
            seen.add(unit_id)
    fields = {f.id for f in farm.fields}
    herds = {h.id for h in farm.livestock}
    for product in farm.products:
        for name in product.fields:
            if name not in fields:
                raise InputError(f"product {product.name!r} names unknown field {name!r}", field="products.fields")
        for name in product.herds:
            if name not in herds:
                raise InputError(f"product {product.name!r} names unknown herd {name!r}", field="products.herds")
        if not product.fields and not product.herds:
            raise InputError(f"product {product.name!r} names no field or herd", field="products")


def product_label_item(result: FarmResult, product: str, *, with_measures: bool = False,
                       essential: bool = True) -> LabelItem:
    """A label item (functional unit ``kg_food``) for one product of an assessed farm.

    The farm-gate footprint per kg enters as one consumption line whose inline factor cites this assessment
    (farm, year, input SHA-256), so the label's trace leads back to the IPCC arithmetic (label standard §7.1 a).

    Raises
    ------
    InputError
        If the farm has no such product, or no measures were assessed when ``with_measures`` is asked.

    Example
    -------
    >>> from countyzero.agrifood.model import FarmInput
    >>> farm = FarmInput.model_validate({"farm": "demo", "year": 2025, "fields": [
    ...     {"id": "p", "crop": "rice", "area_ha": 1, "rice": {}}],
    ...     "products": [{"name": "rice", "quantity_kg": 6000, "fields": ["p"]}]})
    >>> product_label_item(assess_farm(farm), "rice").functional_unit
    'kg_food'
    """
    found = [p for p in result.products if p.name == product]
    if not found:
        raise InputError(f"the farm result has no product {product!r}; products: "
                         + ", ".join(p.name for p in result.products), field="product")
    value = found[0].kgco2e_per_kg_with_measures if with_measures else found[0].kgco2e_per_kg
    if value is None:
        raise InputError("no measures were assessed for this farm", field="with_measures")
    case = "with measures" if with_measures else "baseline"
    source = (f"countyzero.agrifood assessment of {result.farm} ({result.year}, {case}), {METHOD}, farm gate; "
              f"input sha256 {result.provenance.get('input_sha256', '')[:16]}")
    return LabelItem.model_validate({
        "id": f"{result.farm}-{product}-{case}".replace(" ", "_"), "name": f"{product} ({result.farm}, farm gate)",
        "functional_unit": "kg_food", "year": None, "essential": essential,
        "lines": [{"id": "farm-gate", "domain": "nutrition", "quantity": 1, "unit": "kg",
                   "factor": {"value": value, "unit": "kgCO2e/kg", "source": source}}]})
