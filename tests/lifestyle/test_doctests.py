"""The runnable examples in the docstrings of the three engines stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "countyzero.lifestyle.targets", "countyzero.lifestyle.footprint", "countyzero.lifestyle.label",
    "countyzero.lifestyle.tourism", "countyzero.lifestyle.registry", "countyzero.agrifood.engine",
    "countyzero.community.engine",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
