"""IAMC-format export (wide): ``model, scenario, region, variable, unit`` then one column per year.

Variable names follow the IAMC / pyam hierarchy with ``|`` (research/county.md §3.8); parents equal the sum
of their children where a parent is written (``Emissions|Kyoto Gases`` = Σ of its scene children). Written by
hand with the csv module through `countyzero.core.io.csv_text` (pyam is optional and heavy; text cells neutralised
against formula injection). Names, units and sign conventions are documented in
docs/pathways.md ("IAMC export").
"""

from __future__ import annotations

from collections.abc import Iterable

from countyzero.core.io import csv_text
from countyzero.pathways.engine import RoadmapResult, ScenarioResult

SCENE_VARIABLES = {
    "energy": "Energy Supply and Industry",
    "buildings": "Buildings",
    "transport": "Transportation",
    "resources": "Waste",
    "land": "AFOLU",
}
KYOTO_UNIT = "t CO2-equiv/yr"


def iamc_rows(result: ScenarioResult, *, model: str, region: str) -> list[list[object]]:
    """Rows of one scenario (without the header)."""
    head = [model, result.id, region]
    rows: list[list[object]] = [
        [*head, "Emissions|Kyoto Gases", KYOTO_UNIT, *result.gross_tco2e],
    ]
    for scene, values in result.by_scene.items():
        rows.append([*head, f"Emissions|Kyoto Gases|{SCENE_VARIABLES.get(scene, scene)}", KYOTO_UNIT, *values])
    for gas, values in result.by_gas.items():
        rows.append([*head, f"Emissions|Kyoto Gases|Gas|{gas}", KYOTO_UNIT, *values])
    rows += [
        [*head, "Emissions|CO2|Energy", "t CO2/yr", *result.energy_co2_t],
        [*head, "Removals|Kyoto Gases|AFOLU", KYOTO_UNIT, *(-v for v in result.removals_tco2e)],
        [*head, "Net Emissions|Kyoto Gases", KYOTO_UNIT, *result.net_tco2e],
        [*head, "Target Metric|Peak", KYOTO_UNIT, *result.peak_metric],
        [*head, "Target Metric|Neutrality", KYOTO_UNIT, *result.neutrality_metric],
        [*head, "Final Energy|Electricity", "MWh/yr", *result.electricity_mwh],
    ]
    for measure, values in (result.wedges or {}).items():
        rows.append([*head, f"Abatement|Kyoto Gases|Measure|{measure}", KYOTO_UNIT, *values])
    if result.montecarlo:
        for name, label in (("gross", "Emissions|Kyoto Gases"), ("net", "Net Emissions|Kyoto Gases")):
            for pct, values in result.montecarlo["fan"][name].items():
                rows.append([*head, f"{label}|Percentile|{pct}", KYOTO_UNIT, *values])
    return rows


def to_iamc_csv(results: RoadmapResult | Iterable[ScenarioResult], *, model: str = "CountyZero",
                region: str = "CN") -> str:
    """The IAMC wide CSV text of a roadmap (or of scenario results)."""
    if isinstance(results, RoadmapResult):
        model, region = results.model, results.region
        scenarios = list(results.scenarios.values())
    else:
        scenarios = list(results)
    years = scenarios[0].years if scenarios else []
    rows = (row for result in scenarios for row in iamc_rows(result, model=model, region=region))
    return csv_text(["model", "scenario", "region", "variable", "unit", *years], rows, float_format="{:.10g}")
