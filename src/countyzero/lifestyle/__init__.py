"""Lifestyle carbon footprints, 1.5 °C trajectories and the 1.5 °C lifestyle label (生活方式碳足迹与1.5°C标识).

Public API: :func:`target_tco2e_per_capita`, :func:`daily_budget_kgco2e`, :func:`compatible_until`,
:func:`footprint`, :class:`LabelRules`, :func:`grade_item`, :func:`grade_items`, :func:`grade_array`,
:func:`tourist_package`, :class:`LabelRegistry`. See docs/lifestyle.md and docs/label-standard.md.
"""

from countyzero.lifestyle.footprint import footprint
from countyzero.lifestyle.label import LabelRules, grade_array, grade_for_ratio, grade_item, grade_items
from countyzero.lifestyle.model import (
    ConsumptionLine,
    FootprintInput,
    FootprintResult,
    GradeReport,
    GradeResult,
    LabelFile,
    LabelItem,
)
from countyzero.lifestyle.registry import IssuedLabel, LabelNotFoundError, LabelRegistry, Verification
from countyzero.lifestyle.targets import (
    compatible_until,
    daily_budget_kgco2e,
    load_trajectory,
    target_tco2e_per_capita,
    trajectory_versions,
)
from countyzero.lifestyle.tourism import TouristPackage, tourist_package

__all__ = [
    "ConsumptionLine", "FootprintInput", "FootprintResult", "GradeReport", "GradeResult", "IssuedLabel",
    "LabelFile", "LabelItem", "LabelNotFoundError", "LabelRegistry", "LabelRules", "TouristPackage",
    "Verification", "compatible_until", "daily_budget_kgco2e", "footprint", "grade_array", "grade_for_ratio",
    "grade_item", "grade_items", "load_trajectory", "target_tco2e_per_capita", "tourist_package",
    "trajectory_versions",
]
