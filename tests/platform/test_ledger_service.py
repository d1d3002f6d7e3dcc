"""The ledger service on the platform database: issue from an estimate, transfer (also to another organisation),
retire → certificate, reconcile; refusals name the field and change nothing; a double retirement is refused also
when two sessions try it at once; an error after the ledger wrote rolls everything back.

Runs on SQLite, and on PostgreSQL when $COUNTYZERO_TEST_POSTGRES_URL is set (as tests/platform/test_migrations.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from countyzero.core.errors import InputError
from countyzero.credits.ledger import BLOCK, EVENT, RETIREMENT
from countyzero.services import accounts, assessments, audit, ledger
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.db import make_engine, session_factory, transaction, upgrade
from tests.platform.conftest import PASSWORD
from tests.platform.engine_inputs import document
from tests.platform.test_migrations import postgres_url  # noqa: F401  (fixture)

USERS = (("verifier@bt.cn", "Baoting County", "verifier"), ("owner@bt.cn", "Baoting County", "project_owner"),
         ("bank@bt.cn", "Baoting County", "financier"), ("analyst@bt.cn", "Baoting County", "analyst"),
         ("verifier@other.cn", "Other County", "verifier"), ("owner@other.cn", "Other County", "project_owner"))


@dataclass
class Platform:
    sessions: sessionmaker[Session]
    who: dict[str, Principal]
    estimate_id: int

    def run(self, act: Any, email: str, data: dict[str, Any]) -> Any:
        with transaction(self.sessions) as session:
            return act(session, self.who[email], data)


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    who = {}
    with transaction(sessions) as session:
        for org in ("Baoting County", "Other County"):
            accounts.create_organisation(session, org)
        for email, org, role in USERS:
            who[email] = accounts.principal_of(accounts.create_user(session, email, PASSWORD, organisation=org,
                                                                    role=role))
        estimate = assessments.create(session, who["owner@bt.cn"], "credits", "broadleaf",
                                      {"standard": "ccer", "project": document("credits/broadleaf-arr.yaml")})
    yield Platform(sessions, who, estimate.id)
    engine.dispose()


def _issue(p: Platform, quantity: int = 1000, account: str = "owner") -> None:
    p.run(ledger.issue, "verifier@bt.cn", {"estimate_id": p.estimate_id, "vintage": 2025, "quantity": quantity,
                                           "account": account})


KEY = {"standard": "ccer", "project": "bt-arr-broadleaf-1", "vintage": 2025}


def _counts(p: Platform) -> tuple[int, ...]:
    with p.sessions() as session:
        rows = [int(session.scalar(select(func.count()).select_from(t)) or 0) for t in (EVENT, BLOCK, RETIREMENT)]
        return (*rows, audit.count(session))


def test_issue_transfer_retire_and_reconcile(platform: Platform) -> None:
    _issue(platform)
    moved = platform.run(ledger.transfer, "owner@bt.cn", {**KEY, "quantity": 300, "from_account": "owner",
                                                          "to_account": "bank"})
    assert [(b.account, b.first_serial, b.last_serial) for b in moved] == [("bank", 1, 300)]
    cert = platform.run(ledger.retire, "bank@bt.cn", {**KEY, "account": "bank", "quantity": 100,
                                                      "beneficiary": "Hotel A", "purpose": "2025 neutrality",
                                                      "date": "2026-01-15"})
    assert (cert.first_serial, cert.last_serial, cert.quantity, cert.retired_at) == (1, 100, 100, "2026-01-15")
    with platform.sessions() as session:
        report = ledger.reconcile(session)
        assert report.ok, report.problems
        assert [(v["issued"], v["held"], v["retired"], v["cancelled"]) for v in report.vintages] == [
            (1000, 900, 100, 0)]
        overview = ledger.overview(session, platform.who["analyst@bt.cn"])
        assert {(h["account"], h["held"], h["retired"]) for h in overview["holdings"]} == {
            ("owner", 700, 0), ("bank", 200, 100)}
        assert [e["kind"] for e in overview["events"]] == ["retire", "transfer", "issue"]
        public = ledger.certificate(session, cert.certificate)
        assert public["organisation"] == "Baoting County" and public["event_hash"] == overview["events"][0]["hash"]
        with pytest.raises(NotFoundError):
            ledger.certificate(session, cert.certificate, platform.who["owner@other.cn"])
        actions = [e.action for e in session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.sequence))]
        assert actions[-3:] == ["issue", "transfer", "retire"] and audit.verify_chain(session) == []
        # the estimate caps the vintage: issuable 11,230.96 t → 11,230 whole credits
        assert ledger.estimates(session, platform.who["verifier@bt.cn"])[0]["vintages"][1] == {
            "year": 2025, "issuable": 11230, "issued": 1000}


REFUSED = [
    ("verifier@bt.cn", ledger.issue, {"vintage": 2025, "quantity": 0, "account": "x"}, InputError, "quantity"),
    ("verifier@bt.cn", ledger.issue, {"vintage": 2025, "quantity": -5, "account": "x"}, InputError, "quantity"),
    ("verifier@bt.cn", ledger.issue, {"vintage": 2025, "quantity": 10_231, "account": "x"}, InputError, "quantity"),
    ("verifier@bt.cn", ledger.issue, {"vintage": 1990, "quantity": 1, "account": "x"}, InputError, "vintage"),
    ("verifier@bt.cn", ledger.issue, {"vintage": 2025, "quantity": "ten", "account": "x"}, InputError, "quantity"),
    ("verifier@bt.cn", ledger.issue, {"vintage": 2025, "quantity": 1, "colour": "x"}, InputError, "colour"),
    ("analyst@bt.cn", ledger.issue, {"vintage": 2025, "quantity": 1, "account": "x"}, PermissionDeniedError, None),
    ("verifier@other.cn", ledger.issue, {"vintage": 2025, "quantity": 1, "account": "x"}, NotFoundError, None),
    ("owner@bt.cn", ledger.transfer, {**KEY, "quantity": 1001, "from_account": "owner", "to_account": "bank"},
     InputError, "quantity"),
    ("owner@bt.cn", ledger.transfer, {**KEY, "quantity": 1, "from_account": "nobody", "to_account": "bank"},
     InputError, "from_account"),
    ("owner@bt.cn", ledger.transfer, {**KEY, "quantity": 1, "from_account": "owner", "to_account": "bank",
                                      "to_organisation": "Atlantis"}, InputError, "to_organisation"),
    ("owner@bt.cn", ledger.transfer, {**KEY, "quantity": 0, "from_account": "owner", "to_account": "bank"},
     InputError, "quantity"),
    ("owner@other.cn", ledger.transfer, {**KEY, "quantity": 1, "from_account": "owner", "to_account": "bank"},
     InputError, "from_account"),
    ("verifier@bt.cn", ledger.transfer, {**KEY, "quantity": 1, "from_account": "owner", "to_account": "bank"},
     PermissionDeniedError, None),
    ("owner@bt.cn", ledger.retire, {**KEY, "account": "owner", "first_serial": 5, "last_serial": 12,
                                    "beneficiary": "B", "purpose": "P"}, InputError, "first_serial"),
    ("owner@bt.cn", ledger.retire, {**KEY, "account": "owner", "quantity": 5, "purpose": "P"}, InputError,
     "beneficiary"),
    ("owner@bt.cn", ledger.retire, {**KEY, "account": "owner", "quantity": 5, "beneficiary": "B", "purpose": "P",
                                    "date": "2999-01-01"}, InputError, "date"),
    ("owner@bt.cn", ledger.retire, {**KEY, "account": "ghost", "quantity": 5, "beneficiary": "B", "purpose": "P"},
     InputError, "account"),
]
"""(user, act, request, error, field named): each refused."""


def test_bad_requests_name_the_field_and_change_nothing(platform: Platform) -> None:
    _issue(platform)
    platform.run(ledger.retire, "owner@bt.cn", {**KEY, "account": "owner", "first_serial": 1, "last_serial": 10,
                                                "beneficiary": "Hotel", "purpose": "claim"})
    before = _counts(platform)
    for email, act, data, error, field in REFUSED:
        if act is ledger.issue:
            data = {"estimate_id": platform.estimate_id, **data}
        with pytest.raises(error) as caught:
            platform.run(act, email, data)
        if field is not None:
            assert getattr(caught.value, "field", None) == field, (data, caught.value)
        assert _counts(platform) == before, data
    with platform.sessions() as session:
        assert ledger.reconcile(session).ok


def test_a_serial_is_retired_once_even_by_two_sessions_at_once(platform: Platform) -> None:
    """Session A retires serials 1–10 and has not committed; session B asks for 5–12 meanwhile. B waits for A's
    lock, then finds 5–10 retired and is refused, naming A's certificate."""
    _issue(platform)
    request = {**KEY, "account": "owner", "beneficiary": "B", "purpose": "P"}
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            outcome["cert"] = platform.run(ledger.retire, "owner@bt.cn", {**request, "first_serial": 5,
                                                                          "last_serial": 12})
        except Exception as exc:  # reported to the main thread
            outcome["error"] = exc

    with transaction(platform.sessions) as session:
        first = ledger.retire(session, platform.who["owner@bt.cn"], {**request, "first_serial": 1, "last_serial": 10})
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the second session should wait for the first one's lock"
    thread.join(timeout=30)
    assert "cert" not in outcome
    assert isinstance(outcome["error"], InputError) and f"certificate {first.certificate}" in str(outcome["error"])
    with platform.sessions() as session:
        assert ledger.reconcile(session).ok
        assert [c.certificate for c in ledger.book(session).certificates()] == [first.certificate]


def test_two_concurrent_transfers_of_the_same_credits_one_wins(platform: Platform) -> None:
    _issue(platform, quantity=100)
    results: list[Any] = []

    def move(to: str) -> None:
        try:
            results.append(platform.run(ledger.transfer, "owner@bt.cn", {**KEY, "quantity": 100,
                                                                         "from_account": "owner", "to_account": to}))
        except InputError as exc:
            results.append(exc)

    threads = [threading.Thread(target=move, args=(to,)) for to in ("bank", "hotel")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(r).__name__ for r in results) == ["InputError", "list"]
    with platform.sessions() as session:
        assert ledger.reconcile(session).ok
        assert sum(h["held"] for h in ledger.holdings(session, platform.who["owner@bt.cn"])) == 100


def test_an_error_after_the_ledger_wrote_rolls_everything_back(platform: Platform,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _issue(platform)
    before = _counts(platform)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        platform.run(ledger.retire, "owner@bt.cn", {**KEY, "account": "owner", "quantity": 10, "beneficiary": "B",
                                                    "purpose": "P"})
    assert _counts(platform) == before


def test_transfer_to_another_organisation_and_project_ownership(platform: Platform) -> None:
    _issue(platform)
    platform.run(ledger.transfer, "owner@bt.cn", {**KEY, "quantity": 50, "from_account": "owner",
                                                  "to_account": "buyer", "to_organisation": "Other County"})
    cert = platform.run(ledger.retire, "owner@other.cn", {**KEY, "account": "buyer", "quantity": 50,
                                                          "beneficiary": "Other hotel", "purpose": "claim"})
    with platform.sessions() as session:
        other = ledger.overview(session, platform.who["owner@other.cn"])
        assert [(h["account"], h["held"], h["retired"]) for h in other["holdings"]] == [("buyer", 0, 50)]
        assert [e["kind"] for e in other["events"]] == ["retire", "transfer"]
        assert ledger.certificate(session, cert.certificate)["organisation"] == "Other County"
        mine = ledger.overview(session, platform.who["owner@bt.cn"])
        assert [(h["account"], h["held"]) for h in mine["holdings"]] == [("owner", 950)]
        assert ledger.reconcile(session).ok
        # the other county cannot issue the same project's credits from its own copy of the estimate
        copy = assessments.create(session, platform.who["owner@other.cn"], "credits", "copy",
                                  {"standard": "ccer", "project": document("credits/broadleaf-arr.yaml")})
        session.commit()
        with pytest.raises(InputError) as caught:
            ledger.issue(session, platform.who["verifier@other.cn"], {"estimate_id": copy.id, "vintage": 2025,
                                                                      "quantity": 1, "account": "x"})
        assert caught.value.field == "project"
        session.rollback()


def test_future_date_uses_today(platform: Platform) -> None:
    _issue(platform)
    with transaction(platform.sessions) as session, pytest.raises(InputError, match="future"):
        ledger.retire(session, platform.who["owner@bt.cn"], {**KEY, "account": "owner", "quantity": 1,
                                                             "beneficiary": "B", "purpose": "P",
                                                             "date": "2026-03-02"}, today=date(2026, 3, 1))
