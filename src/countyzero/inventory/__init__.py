"""County GHG inventory in the GPC v1.1 structure (see docs/inventory.md)."""

from countyzero.inventory.engine import compute_inventory
from countyzero.inventory.model import InventoryInput, InventoryResult

__all__ = ["InventoryInput", "InventoryResult", "compute_inventory"]
