"""Inputs of the finance portfolio and appraisal tests: the Baoting loan book and project files as JSON."""

from __future__ import annotations

import json
from typing import Any

from tests.platform.engine_inputs import document, path

LINKED = "jiamao-buildings-result.json"


def linked_files() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path(f"finance/{LINKED}").read_text(encoding="utf-8"))
    return {LINKED: data}


def loan_book() -> dict[str, Any]:
    """examples/baoting/finance/portfolio.yaml with its project files embedded and the linked result uploaded."""
    book = document("finance/portfolio.yaml")
    for loan in book["loans"]:
        if "project" in loan:
            loan["project"] = document(f"finance/{loan['project']}")
    return {**book, "files": linked_files()}


def appraisal_input() -> dict[str, Any]:
    return document("finance/baoting-small-hydro.yaml")


UPLOAD_NAMES = ("portfolio.yaml", "baoting-small-hydro.yaml", "baoting-rooftop-pv.yaml", "jiamao-health-park.yaml",
                LINKED)
