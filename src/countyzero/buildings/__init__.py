"""Building whole-life carbon (建筑全生命周期碳排放): EN 15978 and GB/T 51366 from BOQs and IFC models."""

from countyzero.buildings.engine import assess_building
from countyzero.buildings.model import MODULES, BOQInput, BuildingResult
from countyzero.buildings.modules import embodied_modules, replacements_b4
from countyzero.buildings.reader import assess_file, read_boq

__all__ = ["MODULES", "BOQInput", "BuildingResult", "assess_building", "assess_file", "embodied_modules",
           "read_boq", "replacements_b4"]
