"""Access control, generated: every route of a freshly made app × anonymous and every role, in its own
organisation and in another, against real stored assessments of both organisations.

The expected answer comes from the declared policy (``countyzero.web.access.POLICY``): public routes answer
everyone; otherwise an anonymous caller gets 401 (API) or a redirect to /login (pages); a role the route does
not allow gets 403; another organisation's resource answers 404, exactly like a missing one; everyone else gets
2xx/3xx (and an API listing holds only the caller's organisation's assessments). A state-changing route gets a
resource in the state it needs and a valid body from the world (tests/security/world.py), so that a refusal is the
role's doing, never the input's; a refused change changes nothing. A route the policy does not classify fails
``test_every_route_is_classified``. The PDF reports' rendering is replaced by stubs here (who may download a report
is the question; tests/platform/test_engine_pages.py renders the real ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.responses import Response as FastAPIResponse
from httpx2 import Response
from sqlalchemy import select

from countyzero.factors import default_library
from countyzero.store.models import ROLES, Assessment, Organisation
from countyzero.web import engine_routes, label_routes, ledger_routes
from countyzero.web.access import ANY_METHOD, MEMBERS, POLICY, Access, unclassified
from tests.platform.conftest import PASSWORD
from tests.security.world import (
    APP,
    JURY_CRITERION,
    OTHER,
    OWN,
    ROUTES,
    Actor,
    World,
    api_input,
    csrf_of,
    email,
    make_world,
    page_form,
)

SIGN_IN = {"/login", "/api/v1/auth/token"}
ENDS_SESSIONS = {"/logout": 303, "/api/v1/auth/revoke": 204}
"""Routes that end the caller's sessions and tokens (the user's generation counts up; nothing is audited)."""
ACTORS = [(None, None)] + [(role, org) for role in ROLES for org in (OWN, OTHER)]


def test_every_route_is_classified() -> None:
    assert unclassified(APP.routes) == [], "classify these routes in countyzero.web.access.POLICY"
    stale = set(POLICY) - set(ROUTES)
    assert not stale, f"POLICY names routes the app does not have: {sorted(stale)}"


def test_policy_matches_the_services_rules() -> None:
    """Creating routes allow exactly the service layer's writers; the policy is not a second opinion."""
    from countyzero.services.assessments import WRITERS_BY_KIND

    for (method, route), access in POLICY.items():
        if method == "POST" and access.kind and "{" not in route:
            assert access.roles == WRITERS_BY_KIND[access.kind], route
    assert POLICY[("GET", "/")] == MEMBERS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import countyzero.pathways.report
    import countyzero.reports.inventory  # imported before patching, so that no module keeps a stub afterwards

    with pytest.MonkeyPatch.context() as patch:
        for module in (engine_routes, label_routes, ledger_routes):
            patch.setattr(module, "_pdf", lambda html, filename: FastAPIResponse(
                b"%PDF-1.7 stub", media_type="application/pdf"))
        patch.setattr(countyzero.pathways.report, "render_roadmap_html", lambda result: "<p>roadmap</p>")
        patch.setattr(countyzero.reports.inventory, "render_inventory_html", lambda result: "<p>inventory</p>")
        with make_world(tmp_path_factory.mktemp("matrix")) as made:
            yield made


def _creates(method: str, route: str, access: Access) -> bool:
    return method == "POST" and access.kind is not None and "{" not in route


def _url(world: World, method: str, route: str, access: Access, *, fresh: bool) -> str:
    if route == "/static":
        return "/static/site.css"
    if route.startswith("/public/"):
        return world.public_page
    if _creates(method, route, access) and route.startswith("/api/"):
        assert access.kind is not None
        url, _ = api_input(access.kind)
        assert url.partition("?")[0] == route, f"{route}: no example input for it in tests/security/world.py"
        return url
    if "{assessment_id}" in route:
        if method == "POST":  # a change: a resource in the state it needs (a fresh one when it will be used up)
            assessment_id = world.target(route, OWN, fresh=fresh)
        else:
            assert access.kind, f"{route}: the policy must name the kind of assessment the route reads"
            assessment_id = world.ids[(OWN, access.kind)]
        route = route.replace("{assessment_id}", str(assessment_id))
    values = {"{label_id}": world.label_ids[OWN], "{factor_id}": next(iter(default_library())).id,
              "{code}": "en", "{line_id}": world.line_id, "{certificate_id}": world.certificate_ids[OWN]}
    for name, value in values.items():
        route = route.replace(name, value)
    assert "{" not in route, f"{route}: give its path parameter a real value in this test"
    return route


def _send(world: World, actor: Actor, method: str, route: str, url: str, access: Access) -> Response:
    api = route.startswith("/api/")
    if method in ("GET", ANY_METHOD):
        return world.request(actor, "GET", url, api=api)
    if route == "/api/v1/auth/token":
        who = email(actor.role or "analyst", actor.org or OWN)
        return world.request(actor, "POST", url, api=api, data={"username": who, "password": PASSWORD})
    if route == "/login":
        who = email(actor.role or "analyst", actor.org or OWN)
        if actor.role is None:  # a visitor's first page gives its session and CSRF token
            world.client.cookies.clear()
            token = csrf_of(world.client.get("/login").text)
            response = world.client.post(url, data={"email": who, "password": PASSWORD, "csrf": token},
                                         follow_redirects=False)
            world.client.cookies.clear()
            return response
        return world.request(actor, "POST", url, api=api, data={"email": who, "password": PASSWORD,
                                                                "csrf": actor.csrf})
    org = actor.org or OWN  # the caller's own ledger and estimate: a refusal is then the role's, not a 404
    if _creates(method, route, access):
        assert access.kind
        _, body = api_input(access.kind)
        fields, files = page_form(access.kind)
    else:
        body = world.body(route, org)
        fields, files = world.form(route, org)
    if api:
        return world.request(actor, "POST", url, api=True, json=body)
    return world.request(actor, "POST", url, api=False, data={**fields, "csrf": actor.csrf}, files=files or None)


def _expected(access: Access, role: str | None, org: str | None, route: str) -> str:
    if access.public:
        return "allowed"
    if role is None:
        return "anonymous"
    if ("{assessment_id}" in route or "{certificate_id}" in route) and org != OWN:
        return "not found"
    assert access.roles is not None
    return "allowed" if role in access.roles else "forbidden"


def _outcome(response: Response, api: bool) -> str:
    code = response.status_code
    location = response.headers.get("location", "")
    if (api and code == 401) or (not api and code == 303 and location == "/login"):
        return "anonymous"
    if code == 403:
        return "forbidden"
    if code == 404:
        return "not found"
    if code < 400:
        return "allowed"
    return f"unexpected {code}"


@pytest.mark.parametrize(("role", "org"), ACTORS, ids=[Actor(r, o).name for r, o in ACTORS])
@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_route_answers_each_caller_as_the_policy_says(world: World, method: str, route: str, role: str | None,
                                                       org: str | None) -> None:
    access = POLICY[(method, route)]
    actor = world.actor(role, org)
    expected = _expected(access, role, org, route)
    url = _url(world, method, route, access, fresh=expected == "allowed")
    before = world.counts()
    response = _send(world, actor, method, route, url, access)
    api = route.startswith("/api/")
    if route in ENDS_SESSIONS and expected == "allowed":  # logging out answers like the gate: check it really did
        assert response.status_code == ENDS_SESSIONS[route] and world.counts()[2] != before[2]
        actor.cookie = None  # the actor's session and token are over: it logs in again next time
        return
    assert _outcome(response, api) == expected, f"{method} {route} as {actor.name}: {response.status_code} " \
                                                f"{response.text[:300]}"
    if expected != "allowed" and method != "GET":
        assert world.counts()[:2] == before[:2], "a refused request changed stored data"
    if expected == "allowed" and method == "POST" and route not in SIGN_IN:  # it did change something, audited
        assert world.counts()[1] > before[1], f"{method} {route} as {actor.name} was allowed but recorded nothing"
    if expected == "allowed" and not access.public and api and method == "GET" and isinstance(response.json(), list):
        _assert_own_organisation(world, response.json(), org)


def _assert_own_organisation(world: World, listed: list[dict[str, Any]], org: str | None) -> None:
    with world.sessions() as session:
        org_id = session.scalars(select(Organisation.id).where(Organisation.name == org)).one()
        owners = {session.get(Assessment, entry["id"]).organisation_id for entry in listed}  # type: ignore[union-attr]
    assert owners <= {org_id}, "a listing shows another organisation's assessments"


def test_matrix_covers_every_outcome() -> None:
    """The matrix is not vacuous: the policy yields every kind of expected answer."""
    outcomes = {_expected(POLICY[key], role, org, key[1]) for key in ROUTES for role, org in ACTORS}
    assert outcomes == {"allowed", "anonymous", "forbidden", "not found"}


ROLE_CHECKED = [(m, r) for m, r in ROUTES if m == "POST" and not POLICY[(m, r)].public
                and POLICY[(m, r)].roles != MEMBERS.roles]
REFUSED = [(m, r, role) for m, r in ROLE_CHECKED for role in sorted(set(ROLES) - (POLICY[(m, r)].roles or set()))]


@pytest.mark.parametrize("sent", ["nothing", "junk"])
@pytest.mark.parametrize(("method", "route", "role"), REFUSED, ids=[f"{m} {r}-{role}" for m, r, role in REFUSED])
def test_a_refused_role_is_refused_whatever_it_sends(world: World, method: str, route: str, role: str,
                                                     sent: str) -> None:
    """The role is checked before the input is read: a refused role gets 403 with no body or a malformed one
    (not a 422 telling it what a valid request looks like), and nothing changes."""
    actor = world.actor(role, OWN)
    url = _url(world, method, route, POLICY[(method, route)], fresh=False)
    before = world.counts()
    if route.startswith("/api/"):
        body = {"json": {"unexpected": [1, "x"]}} if sent == "junk" else {}
        response = world.request(actor, method, url, api=True, **body)
    else:
        junk = {"unexpected": "x", "quantity": "many", "decision": "maybe", f"score_{JURY_CRITERION}": "high",
                "holding": "{", "reason": " "} if sent == "junk" else {}
        files = [("file", ("junk.yaml", b"- [", "application/yaml")), ("evidence", ("e.txt", b"", "text/plain"))]
        response = world.request(actor, method, url, api=False, data={**junk, "csrf": actor.csrf},
                                 files=files if sent == "junk" else None)
    assert response.status_code == 403, f"{route} as {actor.name}: {response.status_code} {response.text[:300]}"
    assert world.counts()[:2] == before[:2]


def test_refusals_whatever_is_sent_cover_the_new_routes() -> None:
    covered = {r for _, r, _ in REFUSED}
    assert covered >= {"/api/v1/labels/{assessment_id}/evidence", "/labels/{assessment_id}/review",
                       "/api/v1/challenge/submissions/{assessment_id}/scores", "/challenge/{assessment_id}/scores",
                       "/api/v1/credits/ledger/issue", "/ledger/retire", "/api/v1/assessments/{assessment_id}/publish",
                       "/api/v1/buildings/assessments", "/finance/appraisals"}
