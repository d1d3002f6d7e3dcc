"""The certification workflow: every step recorded; expired or revoked labels never verify; bad steps change
nothing."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from countyzero.core.errors import InputError
from countyzero.lifestyle import LabelItem, LabelNotFoundError, LabelRegistry

MEAL = {"id": "meal-1", "name": "Li rice bowl", "functional_unit": "meal",
        "lines": [{"id": "rice", "food": "rice", "quantity": 0.1, "unit": "kg"}]}


@pytest.fixture
def registry(tmp_path: Path) -> LabelRegistry:
    reg = LabelRegistry(tmp_path / "labels.sqlite")
    yield reg  # type: ignore[misc]
    reg.close()


def issued(reg: LabelRegistry, on: date = date(2030, 2, 1)) -> str:
    app = reg.apply(LabelItem.model_validate(MEAL), applicant="Hotel A", year=2030, at=date(2030, 1, 5))
    reg.add_evidence(app, document="recipe.pdf", sha256="ab" * 32, actor="Hotel A", at=date(2030, 1, 6))
    reg.review(app, verifier="Verifier B", approve=True, note="recipe and purchase records checked",
               at=date(2030, 1, 20))
    return reg.issue(app, actor="Certifier C", at=on).label_id


def test_lifecycle_and_event_log(registry: LabelRegistry) -> None:
    label_id = issued(registry)
    assert label_id.startswith("CZ15-2030-")
    check = registry.verify(label_id, at=date(2031, 6, 1))
    assert check.valid and check.status == "valid"
    assert check.label is not None and check.label.valid_until == date(2032, 2, 1)  # 2-year validity
    assert check.label.grade == "A" and check.label.qr_payload.startswith(f"CZ15|{label_id}|A|0.45")
    actions = [e["action"] for e in registry.events(label_id)]
    assert actions == ["issue"]
    all_actions = [e["action"] for e in registry.events()]
    assert all_actions == ["apply", "evidence", "review", "issue"]


def test_expired_label_never_verifies(registry: LabelRegistry) -> None:
    label_id = issued(registry)
    assert not registry.verify(label_id, at=date(2032, 2, 2)).valid
    assert registry.verify(label_id, at=date(2032, 2, 2)).status == "expired"
    assert registry.expire_due(at=date(2032, 3, 1)) == [label_id]
    assert not registry.verify(label_id, at=date(2031, 1, 1)).valid  # once expired, always expired
    assert [e["action"] for e in registry.events(label_id)][-1] == "expire"


def test_revoked_label_never_verifies(registry: LabelRegistry) -> None:
    label_id = issued(registry)
    registry.revoke(label_id, reason="recipe changed to beef", actor="Certifier C", at=date(2030, 6, 1))
    for on in (date(2030, 6, 2), date(2031, 1, 1)):
        check = registry.verify(label_id, at=on)
        assert not check.valid and check.status == "revoked" and "recipe changed to beef" in check.message
    with pytest.raises(InputError, match="already revoked"):
        registry.revoke(label_id, reason="again", actor="C", at=date(2030, 7, 1))
    with pytest.raises(InputError, match="is revoked"):
        registry.renew(label_id, verifier="Verifier B", at=date(2031, 12, 1))


def test_unknown_label_is_a_clear_error(registry: LabelRegistry) -> None:
    with pytest.raises(LabelNotFoundError, match="no label 'CZ15-2030-NOPE'"):
        registry.verify("CZ15-2030-NOPE", at=date(2030, 1, 1))


def test_renewal_regrades_in_the_renewal_year(registry: LabelRegistry) -> None:
    label_id = issued(registry)
    renewed = registry.renew(label_id, verifier="Verifier D", at=date(2040, 1, 10))
    # 0.445 kg per meal against 2040 allowance 1400 × 0.25 / 1095 = 0.3196 → ratio 1.39 → B
    assert renewed.grade == "B" and renewed.valid_until == date(2042, 1, 10)
    assert registry.verify(label_id, at=date(2041, 1, 1)).valid


def test_workflow_order_and_independence_are_enforced_and_change_nothing(registry: LabelRegistry,
                                                                        tmp_path: Path) -> None:
    app = registry.apply(LabelItem.model_validate(MEAL), applicant="Hotel A", year=2030, at=date(2030, 1, 5))
    with pytest.raises(InputError, match="cannot review"):
        registry.review(app, verifier="Verifier B", approve=True, note="", at=date(2030, 1, 6))
    with pytest.raises(InputError, match="cannot issue"):
        registry.issue(app, actor="C", at=date(2030, 1, 6))
    registry.add_evidence(app, document="recipe.pdf", sha256="cd" * 32, actor="Hotel A", at=date(2030, 1, 6))
    with pytest.raises(InputError, match="independent"):
        registry.review(app, verifier="hotel a", approve=True, note="", at=date(2030, 1, 7))
    with pytest.raises(InputError, match="sha256"):
        registry.add_evidence(app, document="x", sha256="not-a-digest", actor="Hotel A", at=date(2030, 1, 6))
    assert registry.status(app) == "evidence"
    assert [e["action"] for e in registry.events(app)] == ["apply", "evidence"]


def test_uncertifiable_item_cannot_be_approved(registry: LabelRegistry) -> None:
    bare = LabelItem.model_validate({"id": "x", "name": "x", "functional_unit": "meal", "footprint_kgco2e": 0.3})
    app = registry.apply(bare, applicant="Hotel A", year=2030, at=date(2030, 1, 5))
    registry.add_evidence(app, document="claim.pdf", sha256="ef" * 32, actor="Hotel A", at=date(2030, 1, 6))
    with pytest.raises(InputError, match="cannot approve"):
        registry.review(app, verifier="Verifier B", approve=True, note="", at=date(2030, 1, 7))
    registry.review(app, verifier="Verifier B", approve=False, note="no study", at=date(2030, 1, 7))
    assert registry.status(app) == "rejected"


def test_bad_application_stores_nothing(registry: LabelRegistry) -> None:
    bad = LabelItem.model_validate({"id": "x", "name": "x", "functional_unit": "meal",
                                    "lines": [{"id": "d", "food": "durian", "quantity": 1, "unit": "kg"}]})
    with pytest.raises(InputError, match="unknown food"):
        registry.apply(bad, applicant="Hotel A", year=2030, at=date(2030, 1, 5))
    assert registry.events() == []


def test_event_log_is_append_only(registry: LabelRegistry) -> None:
    issued(registry)
    conn = sqlite3.connect(registry.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events")
    finally:
        conn.close()
