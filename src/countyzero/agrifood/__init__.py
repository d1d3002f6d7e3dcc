"""Low-carbon farming (低碳农业): IPCC Tier 1 farm emissions, measures and per-kg product footprints.

Public API: :func:`assess_farm`, :func:`apply_measure`, :func:`rice_ch4_kg`, :func:`soil_n2o_kg`,
:func:`urea_co2_kg`, :func:`livestock_ch4_kg`, :func:`read_farm`. See docs/agrifood.md.
"""

from countyzero.agrifood.engine import (
    Parameters,
    apply_measure,
    assess_farm,
    livestock_ch4_kg,
    product_label_item,
    rice_ch4_kg,
    soil_n2o_kg,
    urea_co2_kg,
)
from countyzero.agrifood.model import FarmInput, FarmResult
from countyzero.agrifood.reader import assess_farm_file, read_farm

__all__ = [
    "FarmInput", "FarmResult", "Parameters", "apply_measure", "assess_farm", "assess_farm_file", "livestock_ch4_kg",
    "product_label_item", "read_farm", "rice_ch4_kg", "soil_n2o_kg", "urea_co2_kg",
]
