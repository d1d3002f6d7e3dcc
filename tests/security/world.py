"""A small world for the security tests: two organisations, one user per role in each, one stored assessment of
every kind in each (made through the API with the Baoting example inputs), an issued label in each, credits
issued from each organisation's estimate and one retirement certificate each, and a published inventory.

Every state-changing route gets a resource in the state it needs (:meth:`World.target`: a label application with
evidence to review, an approved one to issue, an issued label to renew or revoke, another user's challenge entry
to score) and a valid body (:meth:`World.body`, :meth:`World.form`), so that a role the policy allows gets
2xx/3xx and a refused role is refused for its role, not for its input.

Actors log in once and keep their page session (cookie + CSRF token) and their bearer token; ``request`` sends
a request as an actor without the actors' cookies leaking into each other (each call sets its own cookies).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from countyzero.services import accounts
from countyzero.services.assessments import WRITERS_BY_KIND
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.store.models import ROLES, Assessment, AuditEntry, User
from countyzero.web.access import route_keys
from countyzero.web.app import create_app
from tests.platform.conftest import PASSWORD
from tests.platform.engine_inputs import document, label_application, path, roadmap_bundle
from tests.platform.finance_inputs import UPLOAD_NAMES, appraisal_input, loan_book

APP = create_app(Settings(environment="test", database_url="sqlite:///:memory:"), migrate=False)
"""A freshly made application (not migrated, never served): its routes are what the generated tests cover."""
ROUTES = sorted({key for route in APP.routes for key in route_keys(route)}, key=lambda k: (k[1], k[0]))
ORGS = ("Baoting County", "Other County")
OWN, OTHER = ORGS
SESSION_COOKIE = "countyzero_session"
CHALLENGE_SOLUTION = "challenge/solutions/electric-tourist-shuttles.yaml"
SCENARIOS = ("scenarios/reference.yaml", "scenarios/hainan-policy.yaml")
"""The roadmap of the world: the reference and the plan entries are judged against (the third scenario would
only make every roadmap request slower)."""


def roadmap_yaml() -> bytes:
    """The example roadmap.yaml listing only ``SCENARIOS``."""
    data = yaml.safe_load(path("roadmap.yaml").read_text(encoding="utf-8"))
    data["scenarios"] = list(SCENARIOS)
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


def small_roadmap_bundle() -> dict[str, Any]:
    bundle = roadmap_bundle()
    bundle["roadmap"]["scenarios"] = list(SCENARIOS)
    bundle["scenarios"] = [document(name) for name in SCENARIOS]
    return bundle


def email(role: str, org: str) -> str:
    return f"{role}@{'own' if org == OWN else 'other'}.example.cn"


def api_input(kind: str) -> tuple[str, dict[str, Any]]:
    """(API path with query, JSON body) that creates an assessment of ``kind``."""
    route, body = _api_input(kind)
    return route, copy.deepcopy(body)


@functools.cache
def _api_input(kind: str) -> tuple[str, dict[str, Any]]:
    inputs: dict[str, tuple[str, Any]] = {
        "inventory": ("/api/v1/inventories", lambda: document("inventory-2022.yaml")),
        "building": ("/api/v1/buildings/assessments", lambda: document("buildings/clinic_boq.yaml")),
        "finance": ("/api/v1/finance/screenings", lambda: document("finance/baoting-rooftop-pv.yaml")),
        "finance_portfolio": ("/api/v1/finance/portfolios", loan_book),
        "appraisal": ("/api/v1/finance/appraisals", appraisal_input),
        "credits": ("/api/v1/credits/estimates",
                    lambda: {"standard": "ccer", "project": document("credits/broadleaf-arr.yaml")}),
        "scenario": ("/api/v1/scenarios", small_roadmap_bundle),
        "label": ("/api/v1/labels", label_application),
        "community": ("/api/v1/communities", lambda: document("community/village-2025.yaml")),
        "farm": ("/api/v1/farms", lambda: document("farms/demo-farm-2025.yaml")),
        "challenge": ("/api/v1/challenge/submissions?draws=0", lambda: document(CHALLENGE_SOLUTION)),
    }
    route, body = inputs[kind]
    return route, body()


def _file(relative: str) -> tuple[str, tuple[str, bytes, str]]:
    return "file", (Path(relative).name, path(relative).read_bytes(), "application/yaml")


@functools.cache
def page_form(kind: str) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """(form fields without the CSRF token, files) of the page upload that creates an assessment of ``kind``."""
    files = {
        "inventory": [_file("inventory-2022.yaml")],
        "building": [_file("buildings/clinic_boq.yaml")],
        "finance": [_file("finance/baoting-rooftop-pv.yaml")],
        "finance_portfolio": [_file(f"finance/{name}") for name in UPLOAD_NAMES],
        "appraisal": [_file("finance/baoting-small-hydro.yaml")],
        "credits": [_file("credits/broadleaf-arr.yaml")],
        "scenario": [("file", ("roadmap.yaml", roadmap_yaml(), "application/yaml")), _file("inventory-2022.yaml"),
                     *(_file(name) for name in SCENARIOS)],
        "label": [_file("lifestyle/application-meal.yaml"),
                  ("evidence", ("recipe.txt", b"150 g rice, 150 g greens", "text/plain"))],
        "community": [_file("community/village-2025.yaml")],
        "farm": [_file("farms/demo-farm-2025.yaml")],
        "challenge": [_file(CHALLENGE_SOLUTION)],
    }[kind]
    return ({"draws": "0"} if kind == "challenge" else {}), files


@dataclass
class Actor:
    role: str | None  # None: an anonymous visitor
    org: str | None
    cookie: str | None = None
    csrf: str = ""
    token: str = ""

    @property
    def name(self) -> str:
        return "anonymous" if self.role is None else f"{self.role}@{'own' if self.org == OWN else 'other'}"


CREDITS = 200
"""Credits (t) issued to each organisation's ``HOLDER`` account when the world is made: enough for every allowed
transfer and retirement of the tests (one tonne each)."""
HOLDER, OTHER_HOLDER = "owner", "bank"
EVIDENCE = ("invoice.pdf", b"rice 150 g, greens 150 g: 2.10 yuan", "application/pdf")


@dataclass
class World:
    client: TestClient
    ids: dict[tuple[str, str], int]  # (organisation, kind) → a stored assessment
    label_ids: dict[str, str]  # organisation → the id of its issued label
    line_id: str  # a line of the stored inventories
    actors: dict[str, Actor] = field(default_factory=dict)
    certificate_ids: dict[str, str] = field(default_factory=dict)  # organisation → a retirement certificate
    public_page: str = ""  # the public page of a published inventory of OWN
    credits: dict[str, dict[str, Any]] = field(default_factory=dict)  # organisation → standard, project, vintage
    _shared: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def sessions(self) -> Any:
        return self.client.app.state.sessions  # type: ignore[attr-defined]

    def actor(self, role: str | None, org: str | None = OWN) -> Actor:
        key = Actor(role, org if role else None).name
        if key not in self.actors:
            self.actors[key] = Actor(role, org if role else None)
        found = self.actors[key]
        if found.role is not None and found.cookie is None:
            self.login(found)
        return found

    def login(self, actor: Actor) -> None:
        assert actor.role is not None and actor.org is not None
        self.client.cookies.clear()
        page = self.client.get("/login")
        response = self.client.post("/login", data={"email": email(actor.role, actor.org), "password": PASSWORD,
                                                    "csrf": csrf_of(page.text)}, follow_redirects=False)
        assert response.status_code == 303, response.text
        actor.csrf = csrf_of(self.client.get("/verify").text)
        actor.cookie = self.client.cookies[SESSION_COOKIE]
        self.client.cookies.clear()
        token = self.client.post("/api/v1/auth/token", data={"username": email(actor.role, actor.org),
                                                             "password": PASSWORD})
        assert token.status_code == 200, token.text
        actor.token = token.json()["access_token"]

    def request(self, actor: Actor, method: str, url: str, *, api: bool, **kwargs: Any) -> Response:
        """``method url`` as ``actor``: on the API with its bearer token, on pages with its session cookie."""
        self.client.cookies.clear()
        headers = dict(kwargs.pop("headers", {}))
        if actor.role is not None and api:
            headers["Authorization"] = f"Bearer {actor.token}"
        if actor.role is not None and not api:
            assert actor.cookie is not None
            self.client.cookies.set(SESSION_COOKIE, actor.cookie)
        try:
            return self.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
        finally:
            self.client.cookies.clear()

    def act(self, role: str, org: str, url: str, body: Any = None, expect: int = 200) -> Any:
        """``POST url`` on the API as ``role`` of ``org``, which must answer ``expect``; the answer's JSON."""
        response = self.request(self.actor(role, org), "POST", url, api=True, json=body)
        assert response.status_code == expect, f"{url}: {response.status_code} {response.text[:300]}"
        return response.json()

    def create(self, org: str, kind: str) -> int:
        """A new assessment of ``kind`` in ``org``, made through the API by a role that may."""
        writer = sorted(WRITERS_BY_KIND[kind])[0]  # never a verifier or the county admin: the jury may score it
        route, body = api_input(kind)
        if kind == "credits" and org != OWN:  # a project's credits are issued in one organisation only
            body["project"]["project"]["id"] += "-other"
        return int(self.act(writer, org, route, body, expect=201)["id"])

    def label(self, org: str, state: str) -> int:
        """A new label application of ``org`` in ``state``: evidence (as applied, with evidence), approved or
        issued — each step by the role that takes it (a verifier independent of the applicant)."""
        application = self.create(org, "label")
        steps = {"evidence": [], "approved": ["review"], "issued": ["review", "issue"]}[state]
        for step in steps:
            self.act("verifier", org, f"/api/v1/labels/{application}/{step}", ACTION_BODIES.get(step))
        return application

    def target(self, route: str, org: str = OWN, *, fresh: bool = False) -> int:
        """The assessment of ``org`` a route with ``{assessment_id}`` acts on, in the state the route needs.

        Label steps: a change a caller is allowed to make gets a ``fresh`` application (it is used up: an issued
        label cannot be issued again); a refusal may share one, which it must leave unchanged (the tests check that
        it does). Scores (another user's entry) and publishing (an inventory) can be repeated on the same one.
        """
        state = _STATE_OF.get(route.rsplit("/", 1)[-1]) if route.startswith(("/labels/", "/api/v1/labels/")) else None
        if state is None:
            kind = "challenge" if route.endswith("/scores") else "inventory"  # scores: another user's entry
            return self.ids[(org, kind)]
        if fresh or (org, state) not in self._shared:
            made = self.label(org, state)
            if fresh:
                return made
            self._shared[(org, state)] = made
        return self._shared[(org, state)]

    def body(self, route: str, org: str = OWN) -> Any:
        """A valid JSON body of an API route that changes state without creating an assessment (None: no body)."""
        step = route.rsplit("/", 1)[-1]
        if route.startswith("/api/v1/credits/ledger/"):
            return self.ledger_body(step, org)
        return copy.deepcopy(ACTION_BODIES.get(step))

    def ledger_body(self, act: str, org: str) -> dict[str, Any]:
        """Issue one tonne from ``org``'s estimate to its holder account; transfer or retire one tonne of it."""
        held = self.credits.get(org, {"standard": "ccer", "project": "none", "vintage": 0})
        vintage, lot = held["vintage"], {k: held[k] for k in ("standard", "project")}
        return {
            "issue": {"estimate_id": self.ids.get((org, "credits"), 0), "vintage": vintage, "quantity": 1,
                      "account": HOLDER},
            "transfer": {**lot, "vintage": vintage, "quantity": 1, "from_account": HOLDER,
                         "to_account": OTHER_HOLDER},
            "retire": {**lot, "vintage": vintage, "quantity": 1, "account": HOLDER, "beneficiary": org,
                       "purpose": "security test"},
        }[act]

    def form(self, route: str, org: str = OWN) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
        """(fields without the CSRF token, files) of a valid page form that changes state without creating an
        assessment: the fields of the forms in labels.html, challenge.html, ledger.html and section.html."""
        step = route.rsplit("/", 1)[-1]
        if route.startswith("/ledger/"):
            return {k: str(v) for k, v in self.ledger_body(step, org).items()}, []
        if route.endswith("/evidence"):
            return {}, [("evidence", EVIDENCE)]
        if route.endswith("/scores"):
            return {f"score_{JURY_CRITERION}": "3", f"comment_{JURY_CRITERION}": "clear"}, []
        if route.endswith("/publish"):
            return {"published": "1"}, []
        fields = ACTION_BODIES.get(step) or {}
        return {k: v for k, v in fields.items() if isinstance(v, str)}, []

    def counts(self) -> tuple[int, int, list[int]]:
        """(assessments, audit entries, users' session generations): what a refused request must not change."""
        with self.sessions() as session:
            return (int(session.scalar(select(func.count()).select_from(Assessment)) or 0),
                    int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
                    list(session.scalars(select(User.session_generation).order_by(User.id))))


JURY_CRITERION = "innovation"
"""A jury criterion of examples/baoting/challenge/rubric.yaml (scored 0–score_max by the jury)."""
ACTION_BODIES: dict[str, Any] = {
    "evidence": {"document": EVIDENCE[0], "sha256": "cd" * 32},
    "review": {"decision": "approve", "note": "footprint and evidence checked", "criteria": {}},
    "revoke": {"reason": "the canteen changed its menu"},
    "scores": {"scores": [{"criterion": JURY_CRITERION, "score": 3, "comment": "clear"}]},
}
"""Valid bodies of the API's state-changing routes on an assessment, by the path's last segment (issue, renew and
publish take none)."""
_STATE_OF = {"evidence": "evidence", "review": "evidence", "issue": "approved", "renew": "issued",
             "revoke": "issued"}
"""The state a label step needs (services/labels.py, lifestyle.registry.STEPS)."""


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@contextmanager
def cheap_hashes() -> Iterator[None]:
    """argon2 with minimal cost while the world is built and used (the production cost is argon2-cffi's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@contextmanager
def make_world(folder: Path, *, kinds: tuple[str, ...] | None = None, **settings: Any) -> Iterator[World]:
    """The world in a fresh SQLite database under ``folder`` (see the module docstring); ``kinds``: the kinds of
    assessment stored in each organisation (default: all), with an issued label when ``label`` is one, credits
    held and a retirement certificate when ``credits`` is, and a published inventory when ``inventory`` is."""
    from countyzero.services.assessments import ENGINES

    kinds = tuple(ENGINES) if kinds is None else kinds

    with cheap_hashes():
        app = create_app(Settings(environment="test", database_url=f"sqlite:///{folder / 'cz.db'}",
                                  login_delay_seconds=0, secret_key="security-test-secret-" + "s" * 20, **settings))
        with transaction(app.state.sessions) as session:
            for org in ORGS:
                accounts.create_organisation(session, org)
                for role in ROLES:
                    accounts.create_user(session, email(role, org), PASSWORD, organisation=org, role=role)
        with TestClient(app) as client:
            world = World(client, ids={}, label_ids={}, line_id="")
            for org in ORGS:
                for kind in kinds:
                    world.ids[(org, kind)] = world.create(org, kind)
                if "label" in kinds:
                    issued = world.label(org, "issued")
                    with world.sessions() as session:
                        world.label_ids[org] = session.get(Assessment, issued).result["issued"]["label_id"]
                if "credits" in kinds:
                    _hold_credits(world, org)
            if "inventory" in kinds:  # a second inventory, published: the public pages show it
                published = world.create(OWN, "inventory")
                world.act("county_admin", OWN, f"/api/v1/assessments/{published}/publish")
                with world.sessions() as session:
                    org_id = session.get(Assessment, published).organisation_id  # type: ignore[union-attr]
                    inventory = session.get(Assessment, world.ids[(OWN, "inventory")])
                    world.line_id = inventory.result["lines"][0]["id"] if inventory else ""
                world.public_page = f"/public/{org_id}/inventories/{published}"
            yield world


def _hold_credits(world: World, org: str) -> None:
    """``CREDITS`` t issued from ``org``'s estimate to its holder account by a verifier; one tonne retired."""
    from countyzero.services import ledger

    with world.sessions() as session:
        estimate = session.get(Assessment, world.ids[(org, "credits")])
        assert estimate is not None
        world.credits[org] = {"standard": estimate.result["standard"], "project": ledger.project_id(estimate.input),
                         "vintage": int(estimate.result["vintages"][0]["year"])}
    world.act(sorted(ledger.ISSUERS)[0], org, "/api/v1/credits/ledger/issue",
              {**world.ledger_body("issue", org), "quantity": CREDITS}, expect=201)
    retired = world.act(sorted(ledger.HOLDERS)[0], org, "/api/v1/credits/ledger/retire",
                        world.ledger_body("retire", org), expect=201)
    world.certificate_ids[org] = retired["certificate"]
