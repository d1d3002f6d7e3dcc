"""Calculation methods of inventory lines, one function per method, each following its IPCC equation.

Every method returns the mass of each gas (tonnes, signed: removals are negative) and the trace of the
arithmetic. Parameters come from the factor library only; the fallbacks taken to find them are recorded.

Every method is linear in the line's quantity. The engine therefore computes each distinct kind of line
once, for a quantity of 1, and scales the gases and the trace to each line's quantity (trace steps that are
per-unit constants, such as a landfill's L0, are marked ``scales=False``); a test checks that this equals a
direct computation.

Methods
-------
fuel
    Fuel combustion, IPCC 2006 Vol. 2 Ch. 2 Eq. 2.1 (Tier 1): Emissions_gas = Fuel_TJ × EF_gas. With the
    ``cn-provincial`` factor set, CO2 = Fuel_TJ × carbon content × oxidation fraction × 44/12 (provincial
    inventory guideline, energy chapter). Quantities in mass or volume become energy through the NCV.
electricity
    Grid electricity (GPC v1.1 Ch. 6, scope 2): kWh × grid emission factor of the year.
activity
    Activity × per-unit factors (every gas the library has for that activity key).
forest
    Biomass carbon gain of forest land remaining forest land, IPCC 2006 Vol. 4 Ch. 2 Eq. 2.9 and 2.10:
    ΔC_G = A × G_W × (1 + R) × CF, reported as CO2 removal −ΔC_G × 44/12.
waste_landfill
    Methane commitment (GPC v1.1 Ch. 8 Eq. 8.3 with IPCC 2006 Vol. 5 Ch. 3 parameters):
    CH4 = W × MCF × DOC × DOCf × F × 16/12 × (1 − R) × (1 − OX), DOC = Σ_i share_i × DOC_i.
wastewater
    IPCC 2006 Vol. 5 Ch. 6 Eq. 6.1–6.3 (CH4): P × BOD × 365 × I × Bo × MCF; Eq. 6.7–6.8 (N2O from
    effluent): P × Protein × F_NPR × F_NON-CON × F_IND-COM × EF × 44/28.
factor
    An inline factor given in the input with its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from countyzero.core.chemistry import CH4_PER_C, CO2_PER_C, N2O_PER_N2O_N
from countyzero.core.errors import FactorNotFoundError, InputError, UnitError
from countyzero.core.trace import LineItem
from countyzero.core.units import conversion_factor, is_convertible, parse_unit
from countyzero.factors.library import Factor, FactorLibrary, FactorMatch
from countyzero.inventory.gpc import GPCRef
from countyzero.inventory.model import ActivityLine, InlineFactor

FACTOR_SETS = ("ipcc2006", "cn-provincial")
INVENTORY_PERIOD = "yr"  # one inventory year: rates per year are multiplied by this period


@dataclass(slots=True)
class GasPart:
    gas: str
    tonnes: float
    factor_ids: list[str]
    biogenic: bool = False
    origin: str | None = None  # CH4 origin for AR6 by-origin GWPs


@dataclass(slots=True)
class LineCalc:
    parts: list[GasPart] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    factors: dict[str, Factor] = field(default_factory=dict)
    inline_sources: list[str] = field(default_factory=list)
    energy_tj: float | None = None
    energy_tce: float | None = None


class LineError(InputError):
    """An error in one line; the engine adds the file."""


def _mass_tonnes(amount_unit: str, *, line: str, target: str = "t") -> tuple[float, str]:
    """Multiplier from ``amount_unit`` to tonnes (or ``target``); rates per time × one inventory year."""
    if is_convertible(amount_unit, target):
        return conversion_factor(amount_unit, target), ""
    per_year = f"({amount_unit})*{INVENTORY_PERIOD}"
    if is_convertible(per_year, target):
        return conversion_factor(per_year, target), "annual rate × 1 inventory year"
    raise LineError(f"quantity × factor gives {amount_unit}, which is not a mass ({target})",
                    row=line, field="unit")


class Calculator:
    """Applies the methods for one inventory (its factor set, region, year and library)."""

    def __init__(self, library: FactorLibrary, factor_set: str, region: str, year: int,
                 ipcc_defaults: str = "ipcc2006") -> None:
        self.library = library
        self.factor_set = factor_set
        self.sets = (factor_set, *[s for s in FACTOR_SETS if s != factor_set])
        self.ipcc_sets = tuple(dict.fromkeys((ipcc_defaults, "ipcc2006")))
        self.region = region
        self.year = year

    # helpers ------------------------------------------------------------------------------------
    def _find(self, calc: LineCalc, line: ActivityLine, field_name: str, parameter: str, activity: str,
              *, gas: str = "", technology: str = "", sets: Sequence[str] | None = None,
              year: int | None = None, region: str | None = "", record: bool = True) -> Factor:
        """Find a factor; ``sets`` None means the inventory's IPCC defaults, then any set."""
        if sets is None:
            sets = (*self.ipcc_sets, "")
        if year is None:
            year = self.year
        try:
            match: FactorMatch = self.library.find(
                parameter, activity, gas=gas, factor_set=tuple(sets), technology=technology,
                region=self.region if region == "" else region, year=year)
        except FactorNotFoundError as exc:
            raise LineError(str(exc), row=line.id, field=field_name) from None
        if record:
            self._record(calc, match)
        return match.factor

    @staticmethod
    def _record(calc: LineCalc, match: FactorMatch) -> None:
        calc.fallbacks.extend(f"{match.factor.id}: {note}" for note in match.fallbacks)
        calc.factors[match.factor.id] = match.factor

    def _try_find(self, calc: LineCalc, line: ActivityLine, parameter: str, activity: str,
                  **kwargs: object) -> Factor | None:
        """Like ``_find`` but None when nothing matches (nothing is recorded then)."""
        try:
            return self._find(calc, line, "", parameter, activity, **kwargs)  # type: ignore[arg-type]
        except LineError:
            return None

    @staticmethod
    def _item(calc: LineCalc, line: ActivityLine, step: str, quantity: float, unit: str, result: float,
              result_unit: str, factor: Factor | None = None, note: str = "", scales: bool = True) -> None:
        calc.items.append(LineItem(
            line_id=line.id, step=step, quantity=quantity, quantity_unit=unit, result=result,
            result_unit=result_unit, factor_id=factor.id if factor else None,
            factor_value=factor.value if factor else None, factor_unit=factor.unit if factor else None,
            source=factor.citation if factor else None, note=note, scales=scales))

    def _multiply(self, calc: LineCalc, line: ActivityLine, step: str, quantity: float, unit: str,
                  factor: Factor, gas: str, *, target: str = "t") -> float:
        mult, note = _mass_tonnes(f"({unit})*({factor.unit})", line=line.id, target=target)
        result = quantity * factor.value * mult
        self._item(calc, line, step, quantity, unit, result, target, factor, note)
        return result

    # methods ------------------------------------------------------------------------------------
    def calculate(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        method = line.method
        assert method is not None and line.quantity is not None and line.unit is not None
        if method == "electricity" and ref.scope == 1:
            raise LineError(f"grid electricity is scope 2 (or 3 for T&D losses); {ref.ref} is a scope 1 "
                            "sub-category", row=line.id, field="gpc")
        if method == "fuel" and ref.scope == 2:
            raise LineError(f"fuel combustion is scope 1; {ref.ref} is a scope 2 (grid energy) sub-category",
                            row=line.id, field="gpc")
        try:
            parse_unit(line.unit)
            return getattr(self, f"_{method}")(line, ref)
        except UnitError as exc:
            raise LineError(exc.message, row=line.id, field="unit") from None

    def _fuel(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        fuel, q, unit = line.fuel or "", float(line.quantity or 0), line.unit or ""
        context = ref.combustion_context
        if not context:
            raise LineError(f"fuel combustion has no IPCC combustion context in {ref.ref}; use an activity "
                            "or inline factor line", row=line.id, field="fuel")
        technology = f"{context}.{line.technology}" if line.technology else context
        if fuel not in self.library.activities("ncv") | self.library.activities("carbon_content"):
            raise LineError(f"unknown fuel {fuel!r}", row=line.id, field="fuel")
        energy_tj, energy_ids = self._fuel_energy(calc, line, fuel, q, unit)
        calc.energy_tj = energy_tj
        co2_t, co2_ids, biogenic = self._fuel_co2(calc, line, fuel, energy_tj)
        calc.parts.append(GasPart("CO2", co2_t, [*energy_ids, *co2_ids], biogenic))
        origin = "non_fossil" if biogenic else "fossil"
        for gas in ("CH4", "N2O"):
            factor = self._find(calc, line, "fuel", "emission_factor", fuel, gas=gas, technology=technology,
                                sets=self.sets)
            tonnes = self._multiply(calc, line, f"{gas} = energy × EF", energy_tj, "TJ", factor, gas)
            calc.parts.append(GasPart(gas, tonnes, [*energy_ids, factor.id], biogenic=False,
                                      origin=origin if gas == "CH4" else None))
        calc.energy_tce = self._coal_equivalent(calc, line, fuel, q, unit, energy_tj)
        return calc

    def _fuel_energy(self, calc: LineCalc, line: ActivityLine, fuel: str, q: float, unit: str
                     ) -> tuple[float, list[str]]:
        """Energy in TJ, and the ids of the factors used to get it (the NCV, if any)."""
        if is_convertible(unit, "TJ"):
            energy = q * conversion_factor(unit, "TJ")
            self._item(calc, line, "energy", q, unit, energy, "TJ", note="quantity given as energy")
            return energy, []
        if line.ncv is not None:
            mult = self._inline_multiplier(line, line.ncv, unit, "TJ", field_name="ncv.unit")
            energy = q * line.ncv.value * mult
            calc.inline_sources.append(f"NCV: {line.ncv.source}")
            self._item(calc, line, "energy = quantity × NCV (input)", q, unit, energy, "TJ",
                       note=f"NCV {line.ncv.value:g} {line.ncv.unit} from {line.ncv.source}")
            return energy, []
        tried: list[str] = []
        for set_name in self.sets:
            ncv = self._try_find(calc, line, "ncv", fuel, sets=(set_name,), record=False)
            if ncv is None:
                continue
            if is_convertible(f"({unit})*({ncv.unit})", "TJ"):
                self._record(calc, self.library.find("ncv", fuel, factor_set=set_name, region=self.region))
                if set_name != self.factor_set:
                    calc.fallbacks.append(f"{ncv.id}: NCV for {unit} taken from factor set {set_name}")
                energy = self._multiply(calc, line, "energy = quantity × NCV", q, unit, ncv, "", target="TJ")
                return energy, [ncv.id]
            tried.append(f"{set_name} gives NCV in {ncv.unit}")
        detail = "; ".join(tried) if tried else "no NCV in the library"
        raise LineError(f"cannot turn {unit} of {fuel} into energy ({detail}): give the quantity in energy "
                        "or in a unit the NCV converts, or an ncv on the line", row=line.id, field="unit")

    def _fuel_co2(self, calc: LineCalc, line: ActivityLine, fuel: str, energy_tj: float
                  ) -> tuple[float, list[str], bool]:
        for set_name in self.sets:
            if set_name == "cn-provincial":
                cc = self._try_find(calc, line, "carbon_content", fuel, sets=(set_name,))
                if cc is None:
                    continue
                of = self._find(calc, line, "fuel", "oxidation_fraction", fuel, sets=(set_name,))
                carbon = self._multiply(calc, line, "carbon = energy × carbon content", energy_tj, "TJ",
                                        cc, "C")
                oxidised = carbon * of.value
                self._item(calc, line, "oxidised carbon = carbon × oxidation fraction", carbon, "t",
                           oxidised, "t", of)
                co2 = oxidised * CO2_PER_C
                self._item(calc, line, "CO2 = oxidised carbon × 44/12", oxidised, "t", co2, "t")
                if set_name != self.factor_set:
                    calc.fallbacks.append(f"{cc.id}: CO2 from factor set {set_name}")
                return co2, [cc.id, of.id], cc.biogenic
            ef = self._try_find(calc, line, "emission_factor", fuel, gas="CO2", sets=(set_name,))
            if ef is None:
                continue
            if set_name != self.factor_set:
                calc.fallbacks.append(f"{ef.id}: CO2 from factor set {set_name}")
            co2 = self._multiply(calc, line, "CO2 = energy × EF", energy_tj, "TJ", ef, "CO2")
            return co2, [ef.id], ef.biogenic
        raise LineError(f"no CO2 factor for fuel {fuel!r} in {', '.join(self.sets)}", row=line.id, field="fuel")

    def _coal_equivalent(self, calc: LineCalc, line: ActivityLine, key: str, q: float, unit: str,
                         energy_tj: float | None) -> float | None:
        coef = self.library.find("coal_equivalent", key).factor if key in self.library.activities(
            "coal_equivalent") else None
        if coef is not None and is_convertible(f"({unit})*({coef.unit})", "tce"):
            calc.factors[coef.id] = coef
            return self._multiply(calc, line, "energy in coal equivalent (official coefficient)", q, unit, coef,
                                  "", target="tce")
        if energy_tj is not None:
            return energy_tj * conversion_factor("TJ", "tce")
        return None

    def _electricity(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        assert line.electricity is not None
        grid, year = line.electricity.grid, line.electricity.year or self.year
        if grid not in self.library.activities("grid_emission_factor"):
            raise LineError(f"unknown grid {grid!r}", row=line.id, field="electricity.grid")
        factor = self._find(calc, line, "electricity.grid", "grid_emission_factor", grid, gas="CO2",
                            year=year, region=None, sets=())
        q, unit = float(line.quantity or 0), line.unit or ""
        co2 = self._multiply(calc, line, "CO2 = electricity × grid EF", q, unit, factor, "CO2")
        calc.parts.append(GasPart("CO2", co2, [factor.id]))
        calc.energy_tce = self._coal_equivalent(calc, line, "electricity", q, unit, None)
        return calc

    def _activity(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        key = line.activity or ""
        rows = [r for r in self.library if r.parameter == "emission_factor" and r.activity == key]
        if not rows:
            raise LineError(f"unknown activity {key!r} (no emission_factor rows)", row=line.id, field="activity")
        sets = (*self.sets, *self.ipcc_sets, "")
        for gas in sorted({r.gas for r in rows}):
            factor = self._find(calc, line, "activity", "emission_factor", key, gas=gas,
                                technology=line.technology or "", sets=sets, year=self.year)
            tonnes = self._multiply(calc, line, f"{gas} = activity × EF", float(line.quantity or 0),
                                    line.unit or "", factor, gas)
            calc.parts.append(self._gas_part(calc, line, gas, tonnes, [factor.id], factor.biogenic))
        return calc

    def _gas_part(self, calc: LineCalc, line: ActivityLine, gas: str, tonnes: float, ids: list[str],
                  biogenic: bool) -> GasPart:
        """Turn N2O-N (nitrogen in N2O) into N2O (× 44/28)."""
        if gas == "N2O-N":
            n2o = tonnes * N2O_PER_N2O_N
            self._item(calc, line, "N2O = N2O-N × 44/28", tonnes, "t", n2o, "t")
            return GasPart("N2O", n2o, ids, biogenic)
        return GasPart(gas, tonnes, ids, biogenic, origin="non_fossil" if gas == "CH4" else None)

    def _forest(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        assert line.forest is not None
        kind = line.forest.type
        if kind not in self.library.activities("above_ground_biomass_growth"):
            raise LineError(f"unknown forest type {kind!r}", row=line.id, field="forest.type")
        growth = self._find(calc, line, "forest.type", "above_ground_biomass_growth", kind, region=None)
        ratio = self._find(calc, line, "forest.type", "root_shoot_ratio", kind, region=None)
        cf_key = kind if kind in self.library.activities("carbon_fraction") else "tropical_forest"
        cf = self._find(calc, line, "forest.type", "carbon_fraction", cf_key, region=None)
        area, unit = float(line.quantity or 0), line.unit or ""
        above = self._multiply(calc, line, "above-ground growth G_W × A", area, unit, growth, "d.m.")
        total = above * (1 + ratio.value)
        self._item(calc, line, "total growth = G_W × A × (1 + R)", above, "t", total, "t", ratio,
                   note="IPCC 2006 Vol. 4 Eq. 2.10")
        carbon = total * cf.value
        self._item(calc, line, "carbon gain ΔC_G = growth × CF", total, "t", carbon, "t", cf,
                   note="IPCC 2006 Vol. 4 Eq. 2.9")
        co2 = -carbon * CO2_PER_C
        self._item(calc, line, "CO2 removal = −ΔC_G × 44/12", carbon, "t", co2, "t")
        calc.parts.append(GasPart("CO2", co2, [growth.id, ratio.id, cf.id]))
        return calc

    def _waste_landfill(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        spec = line.waste_landfill
        assert spec is not None
        field_name = "waste_landfill"
        composition = spec.composition
        ids: list[str] = []
        if composition is None:
            shares = []
            for set_name in self.ipcc_sets:
                shares = [r for r in self.library if r.parameter == "msw_composition"
                          and r.technology == spec.composition_region and r.factor_set == set_name]
                if shares:
                    break
            if not shares:
                raise LineError(f"no default MSW composition for {spec.composition_region!r}", row=line.id,
                                field="waste_landfill.composition_region")
            composition = {r.activity: r.value for r in shares}
            for r in shares:
                calc.factors[r.id] = r
        doc = 0.0
        for component, share in sorted(composition.items()):
            if share == 0:
                continue
            row = self._try_find(calc, line, "doc", component, region=None)
            if row is None:
                continue  # inert component (plastic, metal, glass …): no degradable organic carbon
            doc += share * row.value
            ids.append(row.id)
        self._item(calc, line, "DOC = Σ share × DOC_i", 1.0, "t", doc, "t", scales=False,
                   note="weighted over " + ", ".join(f"{k} {v:g}" for k, v in sorted(composition.items())))
        mcf = self._find(calc, line, f"{field_name}.site", "mcf", spec.site, region=None)
        docf = self._find(calc, line, field_name, "docf", "msw", region=None)
        f = self._find(calc, line, field_name, "landfill_gas_ch4_fraction", "msw", region=None)
        ox = self._find(calc, line, f"{field_name}.cover", "oxidation_factor", spec.cover, region=None)
        waste_t = float(line.quantity or 0) * _mass_tonnes(line.unit or "", line=line.id)[0]
        l0 = mcf.value * doc * docf.value * f.value * CH4_PER_C
        self._item(calc, line, "L0 = MCF × DOC × DOCf × F × 16/12", doc, "t C/t", l0, "t CH4/t", scales=False,
                   note=f"MCF {mcf.value:g} ({mcf.id}), DOCf {docf.value:g}, F {f.value:g}")
        ch4 = waste_t * l0 * (1 - spec.recovered_fraction) * (1 - ox.value)
        self._item(calc, line, "CH4 = W × L0 × (1 − R) × (1 − OX)", waste_t, "t", ch4, "t", ox,
                   note=f"R = {spec.recovered_fraction:g}; GPC v1.1 Eq. 8.3 (methane commitment)")
        calc.parts.append(GasPart("CH4", ch4, [*ids, mcf.id, docf.id, f.id, ox.id], origin="non_fossil"))
        return calc

    def _wastewater(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        spec = line.wastewater
        assert spec is not None
        persons, unit = float(line.quantity or 0), line.unit or ""
        bod = self._find(calc, line, "wastewater", "bod_per_capita", "domestic", technology=spec.region,
                         region=None)
        corr = self._find(calc, line, "wastewater.collected", "wastewater_correction_factor",
                          "collected" if spec.collected else "uncollected", region=None)
        bo = self._find(calc, line, "wastewater", "bo", "domestic", region=None)
        mcf = self._find(calc, line, "wastewater.treatment", "mcf_wastewater", spec.treatment, region=None)
        tow = self._multiply(calc, line, "TOW = P × BOD × 1 yr", persons, unit, bod, "BOD")
        ch4 = tow * corr.value * bo.value * mcf.value
        self._item(calc, line, "CH4 = TOW × I × Bo × MCF", tow, "t", ch4, "t", mcf,
                   note=f"I {corr.value:g}, Bo {bo.value:g} ({bo.unit}); IPCC 2006 Vol. 5 Eq. 6.1–6.3")
        calc.parts.append(GasPart("CH4", ch4, [bod.id, corr.id, bo.id, mcf.id], origin="non_fossil"))
        if spec.n2o:
            protein = self._find(calc, line, "wastewater", "protein_per_capita", spec.region, region=None)
            fnpr = self._find(calc, line, "wastewater", "fnpr", "default", region=None)
            fnon = self._find(calc, line, "wastewater", "fnon_con", "default", region=None)
            find = self._find(calc, line, "wastewater", "find_com", "default", region=None)
            ef = self._find(calc, line, "wastewater", "emission_factor", "wastewater_effluent_n", gas="N2O-N",
                            region=None)
            protein_t = self._multiply(calc, line, "protein = P × Protein × 1 yr", persons, unit, protein, "")
            nitrogen = protein_t * fnpr.value * fnon.value * find.value
            self._item(calc, line, "N_effluent = protein × F_NPR × F_NON-CON × F_IND-COM", protein_t, "t",
                       nitrogen, "t", fnpr, note=f"F_NON-CON {fnon.value:g}, F_IND-COM {find.value:g}")
            n2o_n = self._multiply(calc, line, "N2O-N = N_effluent × EF", nitrogen, "t", ef, "N2O-N")
            calc.parts.append(self._gas_part(calc, line, "N2O-N", n2o_n,
                                             [protein.id, fnpr.id, fnon.id, find.id, ef.id], False))
        return calc

    def _inline_multiplier(self, line: ActivityLine, factor: InlineFactor, unit: str, target: str,
                           field_name: str) -> float:
        try:
            return _mass_tonnes(f"({unit})*({factor.unit})", line=line.id, target=target)[0]
        except UnitError as exc:
            raise LineError(exc.message, row=line.id, field=field_name) from None
        except LineError:
            raise LineError(f"{unit} × {factor.unit} does not give {target}", row=line.id,
                            field=field_name) from None

    def _factor(self, line: ActivityLine, ref: GPCRef) -> LineCalc:
        calc = LineCalc()
        factor = line.factor
        assert factor is not None
        gas = factor.gas
        target = "tCO2e" if gas == "CO2e" else "t"
        q, unit = float(line.quantity or 0), line.unit or ""
        result = q * factor.value * self._inline_multiplier(line, factor, unit, target, "factor.unit")
        calc.items.append(LineItem(
            line_id=line.id, step=f"{gas} = quantity × inline factor", quantity=q, quantity_unit=unit,
            result=result, result_unit=target, factor_id=f"inline:{line.id}", factor_value=factor.value,
            factor_unit=factor.unit, source=factor.source))
        calc.inline_sources.append(factor.source)
        calc.parts.append(self._gas_part(calc, line, gas, result, [f"inline:{line.id}"], factor.biogenic))
        return calc
