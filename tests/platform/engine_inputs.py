"""Inputs of the engine API tests: the Baoting example files as JSON documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "baoting"


def document(relative: str) -> dict[str, Any]:
    """An example file as the JSON an API client would send (YAML dates as ISO strings)."""
    data: dict[str, Any] = json.loads(json.dumps(yaml.safe_load((EXAMPLES / relative).read_text(encoding="utf-8")),
                                                 default=str))
    return data


def path(relative: str) -> Path:
    return EXAMPLES / relative


def roadmap_bundle() -> dict[str, Any]:
    return {"roadmap": document("roadmap.yaml"), "inventory": document("inventory-2022.yaml"),
            "scenarios": [document(f"scenarios/{n}.yaml") for n in ("reference", "hainan-policy", "net-zero-2040")],
            "draws": 0}


def label_application() -> dict[str, Any]:
    body: dict[str, Any] = {**document("lifestyle/application-meal.yaml"),
                            "evidence": [{"document": "recipe card.pdf", "sha256": "ab" * 32}]}
    return body


# (API resource, a role that may create, a role that may not, the input)
CASES: list[tuple[str, str, str, Any]] = [
    ("buildings/assessments", "project_owner", "financier", lambda: document("buildings/clinic_boq.yaml")),
    ("finance/screenings", "financier", "project_owner", lambda: document("finance/baoting-rooftop-pv.yaml")),
    ("credits/estimates", "project_owner", "financier",
     lambda: {"standard": "ccer", "project": document("credits/broadleaf-arr.yaml")}),
    ("scenarios", "analyst", "financier", roadmap_bundle),
    ("labels", "project_owner", "verifier", label_application),
    ("communities", "analyst", "verifier", lambda: document("community/village-2025.yaml")),
    ("farms", "project_owner", "financier", lambda: document("farms/demo-farm-2025.yaml")),
]
