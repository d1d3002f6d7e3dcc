"""CSRF, generated: every state-changing page route (POST/PUT/PATCH/DELETE outside /api) answers 403 naming the
CSRF token when the token is missing or wrong, and changes nothing; with the right token the same request goes
through (so the 403 is the token's doing): each route gets a resource in the state it needs and a valid form from
the world (tests/security/world.py). The API takes no cookies: a logged-in page session alone gets 401 on
every API route that is not public.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from httpx2 import Response

from countyzero.web.access import POLICY, Access
from tests.platform.conftest import PASSWORD
from tests.security.world import OWN, ROUTES, Actor, World, csrf_of, email, make_world, page_form

CHANGES = ("POST", "PUT", "PATCH", "DELETE")
PAGE_CHANGES = [(m, r) for m, r in ROUTES if m in CHANGES and not r.startswith("/api/")]
PRIVATE_API = [(m, r) for m, r in ROUTES if r.startswith("/api/") and not POLICY[(m, r)].public]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with make_world(tmp_path_factory.mktemp("csrf"), kinds=("inventory", "label", "credits", "challenge")) as made:
        yield made


def _allowed_actor(world: World, access: Access) -> Actor:
    """A caller the policy allows, so that only the CSRF token can be the reason for a refusal."""
    if access.public:
        return world.actor(None)
    assert access.roles
    return world.actor(sorted(access.roles)[0], OWN)


def _url(world: World, route: str, *, fresh: bool) -> str:
    """The route with its path parameters filled (a resource in the state the change needs; a fresh one when the
    change will go through)."""
    url = route
    if "{assessment_id}" in route:
        url = route.replace("{assessment_id}", str(world.target(route, OWN, fresh=fresh)))
    assert "{" not in url, f"{route}: give its path parameter a value in this test"
    return url


def _post(world: World, actor: Actor, method: str, route: str, url: str, csrf: str | None) -> Response:
    access = POLICY[(method, route)]
    fields: dict[str, str] = {}
    files: list[tuple[str, tuple[str, bytes, str]]] = []
    if access.kind and "{" not in route:
        fields, files = page_form(access.kind)
    else:
        fields, files = world.form(route, OWN)
    if route == "/login":
        fields = {"email": email("analyst", OWN), "password": PASSWORD}
    data = {**fields, **({} if csrf is None else {"csrf": csrf})}
    if actor.role is None:  # a visitor with a session (and so a CSRF token) of its own
        world.client.cookies.clear()
        world.client.get("/login")
        try:
            return world.client.request(method, url, data=data, files=files or None, follow_redirects=False)
        finally:
            world.client.cookies.clear()
    return world.request(actor, method, url, api=False, data=data, files=files or None)


@pytest.mark.parametrize("csrf", [None, "wrong-token", ""], ids=["missing", "wrong", "empty"])
@pytest.mark.parametrize(("method", "route"), PAGE_CHANGES, ids=[f"{m} {r}" for m, r in PAGE_CHANGES])
def test_change_without_the_right_token_is_refused_and_changes_nothing(world: World, method: str, route: str,
                                                                       csrf: str | None) -> None:
    actor = _allowed_actor(world, POLICY[(method, route)])
    url = _url(world, route, fresh=False)
    before = world.counts()
    response = _post(world, actor, method, route, url, csrf)
    assert response.status_code == 403 and "CSRF" in response.text, (response.status_code, response.text[:300])
    assert world.counts() == before
    if actor.role is not None:  # the session survived the forged request
        assert world.request(actor, "GET", "/", api=False).status_code == 200


@pytest.mark.parametrize(("method", "route"), PAGE_CHANGES, ids=[f"{m} {r}" for m, r in PAGE_CHANGES])
def test_change_with_the_right_token_goes_through(world: World, method: str, route: str) -> None:
    actor = _allowed_actor(world, POLICY[(method, route)])
    if actor.role is None:
        world.client.cookies.clear()
        token = csrf_of(world.client.get("/login").text)
        response = world.client.post(route, data={"email": email("analyst", OWN), "password": PASSWORD,
                                                  "csrf": token}, follow_redirects=False)
        world.client.cookies.clear()
    else:
        response = _post(world, actor, method, route, _url(world, route, fresh=True), actor.csrf)
    assert response.status_code == 303, (response.status_code, response.text[:300])
    assert response.headers["location"] != "/login" or route == "/logout"
    if route == "/logout":
        actor.cookie = None


def test_every_page_form_changing_state_is_covered() -> None:
    assert {r for _, r in PAGE_CHANGES} >= {
        "/login", "/logout", "/inventories", "/buildings", "/challenge", "/challenge/{assessment_id}/scores",
        "/assessments/{assessment_id}/publish", "/ledger/issue", "/ledger/transfer", "/ledger/retire",
        *(f"/labels/{{assessment_id}}/{step}" for step in ("evidence", "review", "issue", "revoke"))}


@pytest.mark.parametrize(("method", "route"), PRIVATE_API, ids=[f"{m} {r}" for m, r in PRIVATE_API])
def test_a_session_cookie_alone_cannot_call_the_api(world: World, method: str, route: str) -> None:
    actor = world.actor("county_admin", OWN)
    url = route.replace("{assessment_id}", "1").replace("{certificate_id}", "CZ-RET-1")
    assert "{" not in url, f"{route}: give its path parameter a value in this test"
    body = {} if method == "GET" else {"json": {}}
    response = world.request(actor, method, url, api=False, headers={"X-CSRF-Token": actor.csrf}, **body)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
