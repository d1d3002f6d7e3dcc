"""County roadmap engine (县域碳中和路线图): scenario pathways, peak and net-zero years, wedges, cost
curves, least-cost plans and their probability. Method and formats: docs/pathways.md.

Example
-------
>>> from countyzero.pathways import peak_year, net_zero_year
>>> peak_year([2026, 2027, 2028, 2029], [10.0, 11.0, 10.5, 10.2])
2027
>>> net_zero_year([2039, 2040, 2041], [3.0, -1.0, -2.0])
2040
"""

from countyzero.pathways.analytics import (
    lmdi,
    net_zero_year,
    net_zero_years,
    peak_year,
    peak_years,
    shapley_exact,
    shapley_sampled,
)
from countyzero.pathways.engine import RoadmapResult, ScenarioResult, run_roadmap, run_scenario_file

__all__ = [
    "RoadmapResult",
    "ScenarioResult",
    "lmdi",
    "net_zero_year",
    "net_zero_years",
    "peak_year",
    "peak_years",
    "run_roadmap",
    "run_scenario_file",
    "shapley_exact",
    "shapley_sampled",
]
