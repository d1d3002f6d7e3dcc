"""A small world for the security tests: two organisations, one user per role in each, one stored assessment of
every kind in each (made through the API with the Baoting example inputs), an issued label in each.

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
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.store.models import ROLES, Assessment, AuditEntry, User
from countyzero.web.access import route_keys
from countyzero.web.app import create_app
from tests.platform.conftest import PASSWORD
from tests.platform.engine_inputs import document, label_application, path, roadmap_bundle

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


@dataclass
class World:
    client: TestClient
    ids: dict[tuple[str, str], int]  # (organisation, kind) → a stored assessment
    label_ids: dict[str, str]  # organisation → the id of its issued label
    line_id: str  # a line of the stored inventories
    actors: dict[str, Actor] = field(default_factory=dict)

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

    def create(self, org: str, kind: str) -> int:
        """A new assessment of ``kind`` in ``org``, made through the API by a role that may."""
        from countyzero.services.assessments import WRITERS_BY_KIND

        writer = self.actor(sorted(WRITERS_BY_KIND[kind])[0], org)
        route, body = api_input(kind)
        response = self.request(writer, "POST", route, api=True, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def counts(self) -> tuple[int, int, list[int]]:
        """(assessments, audit entries, users' session generations): what a refused request must not change."""
        with self.sessions() as session:
            return (int(session.scalar(select(func.count()).select_from(Assessment)) or 0),
                    int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
                    list(session.scalars(select(User.session_generation).order_by(User.id))))


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
    assessment stored in each organisation (default: all, with an issued label and an inventory line)."""
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
                if "label" not in kinds:
                    continue
                verifier = world.actor("verifier", org)
                route, body = api_input("label")
                issued = world.request(verifier, "POST", route, api=True, json={**body, "issue": True})
                assert issued.status_code == 201, issued.text
                world.label_ids[org] = issued.json()["result"]["issued"]["label_id"]
            with world.sessions() as session:
                inventory = session.get(Assessment, world.ids.get((OWN, "inventory"), 0))
                world.line_id = inventory.result["lines"][0]["id"] if inventory else ""
            yield world
