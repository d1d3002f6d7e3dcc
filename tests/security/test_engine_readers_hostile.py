"""Hostile input to every engine's reader: the example files of each engine, mutated (a value replaced by a
hostile one, a key removed, bytes flipped), give a validated input or an InputError naming the file — never
another exception.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyzero.core.errors import InputError
from countyzero.core.io import read_model
from tests.security.hostile_files import EXAMPLES, mutated


def _readers() -> dict[str, tuple[Callable[[Path], Any], Path]]:
    from countyzero.agrifood.reader import read_farm
    from countyzero.buildings.reader import read_boq
    from countyzero.challenge.reader import read_challenge, read_rubric, read_scores, read_submission
    from countyzero.community.reader import read_community
    from countyzero.credits.reader import read_project as read_credit_project
    from countyzero.finance.reader import read_project as read_finance_project
    from countyzero.inventory.reader import read_inventory
    from countyzero.lifestyle.model import FootprintInput, LabelApplication, LabelFile
    from countyzero.pathways.compile import read_roadmap, read_scenario

    return {
        "inventory": (read_inventory, EXAMPLES / "inventory-2022.yaml"),
        "buildings": (read_boq, EXAMPLES / "buildings" / "clinic_boq.yaml"),
        "finance": (read_finance_project, EXAMPLES / "finance" / "baoting-rooftop-pv.yaml"),
        "credits": (read_credit_project, EXAMPLES / "credits" / "broadleaf-arr.yaml"),
        "credits-monitoring": (read_credit_project, EXAMPLES / "credits" / "broadleaf-monitoring.yaml"),
        "challenge": (read_challenge, EXAMPLES / "challenge" / "challenge.yaml"),
        "rubric": (read_rubric, EXAMPLES / "challenge" / "rubric.yaml"),
        "jury": (read_scores, EXAMPLES / "challenge" / "jury-scores.yaml"),
        "submission": (read_submission, EXAMPLES / "challenge" / "solutions" / "rainforest-restoration.yaml"),
        "roadmap": (read_roadmap, EXAMPLES / "roadmap.yaml"),
        "scenario": (read_scenario, EXAMPLES / "scenarios" / "net-zero-2040.yaml"),
        "community": (read_community, EXAMPLES / "community" / "village-2025.yaml"),
        "farm": (read_farm, EXAMPLES / "farms" / "demo-farm-2025.yaml"),
        "footprint": (lambda p: read_model(p, FootprintInput, "lines"), EXAMPLES / "lifestyle" / "household-2025.yaml"),
        "label": (lambda p: read_model(p, LabelFile, "items"), EXAMPLES / "lifestyle" / "label-items-2030.yaml"),
        "application": (lambda p: read_model(p, LabelApplication, "items"),
                        EXAMPLES / "lifestyle" / "application-meal.yaml"),
    }


READERS = _readers()
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTILE_VALUES = st.one_of(
    st.sampled_from([None, "", " ", True, -1, 0, -0.0, 10**300, 1e308, -1e308, 5e-324, float("nan"), float("inf"),
                     "nan", "inf", "-Infinity", "1e999", "9" * 400, "=cmd|' /C calc'!A0", "@SUM(A1)", "+1", "-1",
                     "2022-02-30", "0000-00-00", "../../etc/passwd", "\u202e", "保亭", [], {}, [None], {"": None},
                     [[[[[]]]]], {"a": {"b": {"c": {}}}}]),
    st.integers(), st.floats(), st.text(max_size=30), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3))


@st.composite
def mutated_tree(draw: st.DrawFn, tree: Any) -> Any:
    """A deep copy of ``tree`` with one to three nodes replaced by a hostile value (or a mapping key deleted)."""
    tree = json.loads(json.dumps(tree, default=str))
    for _ in range(draw(st.integers(1, 3))):
        node = tree
        while True:
            children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            if not children:
                break
            key, child = draw(st.sampled_from(children))
            if isinstance(child, dict | list) and child and draw(st.integers(0, 3)):
                node = child
                continue
            if isinstance(node, dict) and draw(st.integers(0, 4)) == 0:
                del node[key]
            else:
                node[key] = draw(HOSTILE_VALUES)
            break
    return tree


def read_or_refuse(reader: Callable[[Path], Any], path: Path) -> None:
    try:
        reader(path)
    except InputError as exc:
        assert exc.file is not None and Path(exc.file).name == path.name, f"error does not name the file: {exc}"


@HYPOTHESIS
@given(st.data())
def test_engine_readers_take_mutated_documents(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(READERS)))
    reader, example = READERS[name]
    tree = data.draw(mutated_tree(yaml.safe_load(example.read_text(encoding="utf-8"))))
    as_json = data.draw(st.booleans())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (example.stem + (".json" if as_json else ".yaml"))
        text = json.dumps(tree, ensure_ascii=False) if as_json else yaml.safe_dump(tree, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        read_or_refuse(reader, path)


@HYPOTHESIS
@given(st.data())
def test_engine_readers_take_mutated_bytes(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(READERS)))
    reader, example = READERS[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / example.name
        path.write_bytes(data.draw(mutated(example.read_bytes())))
        read_or_refuse(reader, path)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_inventory_reader_takes_mutated_csv(data: st.DataObject) -> None:
    from countyzero.inventory.reader import read_inventory

    example = EXAMPLES / "baoting_activities.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / example.name
        content = b"# county: Baoting\n# year: 2022\n" + example.read_bytes()
        path.write_bytes(data.draw(mutated(content)))
        read_or_refuse(lambda p: read_inventory(p), path)


def test_every_example_reads_unchanged() -> None:
    """The mutations start from files the readers accept (else every mutation would fail for the same reason)."""
    for reader, example in READERS.values():
        reader(example)


FACTOR_FILE = sorted((Path(__file__).resolve().parents[2] / "src" / "countyzero" / "factors" / "data").glob("*.csv"))[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_user_factor_files_load_or_are_refused_naming_the_file(data: st.DataObject) -> None:
    from countyzero.factors.library import FactorLibrary

    head = b"\n".join(FACTOR_FILE.read_bytes().splitlines()[:6]) + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mine.csv"
        path.write_bytes(data.draw(mutated(head, ["\x00", '"', ",", "\n", "x" * 200_000, "\xff", "id,", "nan"])))
        read_or_refuse(lambda p: FactorLibrary.load([p]), path)


def test_uploaded_finance_document_cannot_open_server_files(tmp_path: Path) -> None:
    from countyzero.services.engines import finance

    secret = tmp_path / "secret.json"
    secret.write_text('{"total_issuable_tco2e": 123456, "vintages": []}', encoding="utf-8")
    document = yaml.safe_load((EXAMPLES / "finance" / "baoting-rooftop-pv.yaml").read_text(encoding="utf-8"))
    for target in (str(secret), "/dev/zero", "../../../../etc/hostname"):
        document["links"] = {"credits_result": target}
        try:
            finance(document)
        except InputError as exc:
            # refused before anything is read: links resolve only among files uploaded with the project
            assert exc.field == "links.credits_result" and exc.file is None and "123456" not in str(exc)
            assert "upload the linked result" in exc.message
        else:
            raise AssertionError(f"the link {target} was followed")
