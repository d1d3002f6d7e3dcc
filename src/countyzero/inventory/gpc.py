"""The GPC v1.1 reference table: scope, totals membership, default scene and combustion context.

The table is data (``data/gpc_v1_1.csv``, sources in ``data/SOURCES.md``); this module only reads it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal

Scene = Literal["energy", "buildings", "transport", "resources", "land"]
SCENES: tuple[Scene, ...] = ("energy", "buildings", "transport", "resources", "land")
SCENE_NAMES_ZH: dict[str, str] = {
    "energy": "能源", "buildings": "建筑", "transport": "交通", "resources": "资源", "land": "土地（农林）",
}
SECTOR_NAMES: dict[str, tuple[str, str]] = {
    "I": ("Stationary energy", "固定源能源"),
    "II": ("Transportation", "交通"),
    "III": ("Waste", "废弃物"),
    "IV": ("Industrial processes and product use (IPPU)", "工业生产过程和产品使用"),
    "V": ("Agriculture, forestry and other land use (AFOLU)", "农业、林业和其他土地利用"),
    "VI": ("Other scope 3", "其他范围三"),
}


@dataclass(frozen=True, slots=True)
class GPCRef:
    """One GPC reference number (sub-category, or sub-sector where GPC has no sub-categories)."""

    ref: str
    name_en: str
    name_zh: str
    scope: int
    basic: bool
    basic_plus: bool
    territorial: bool
    scene: Scene
    combustion_context: str

    @property
    def sector(self) -> str:
        return self.ref.split(".")[0]

    @property
    def subsector(self) -> str:
        return ".".join(self.ref.split(".")[:2])


@lru_cache(maxsize=1)
def gpc_table() -> dict[str, GPCRef]:
    """All GPC reference numbers, keyed by reference (``I.1.1`` …)."""
    text = files("countyzero.inventory").joinpath("data/gpc_v1_1.csv").read_text(encoding="utf-8")
    table: dict[str, GPCRef] = {}
    for row in csv.DictReader(text.splitlines()):
        table[row["ref"]] = GPCRef(
            ref=row["ref"], name_en=row["name_en"], name_zh=row["name_zh"], scope=int(row["scope"]),
            basic=row["basic"] == "1", basic_plus=row["basic_plus"] == "1",
            territorial=row["territorial"] == "1", scene=row["scene"],  # type: ignore[arg-type]
            combustion_context=row["combustion_context"],
        )
    return table
