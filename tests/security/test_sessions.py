"""Sessions, login throttling, no user enumeration, production mode.

- The session cookie changes at login (no fixation) and an old copy does not authenticate; after logout a
  replayed cookie no longer works (the user's session generation changed); cookie flags; tampering.
- N failed logins per account or per client address within the window → 429 with Retry-After, on the page and
  on ``POST /api/v1/auth/token``; an unknown email is counted and answered like a known one.
- An unknown email and a wrong password get the same answer, one argon2 verification each and the same delay.
- ``POST /api/v1/auth/revoke`` ends every bearer token and page session of the caller (only), and a page logout
  ends the user's tokens too (one generation counter for both).
- ``countyzero serve`` in production with the development (or a short) secret exits non-zero with a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from countyzero.services import accounts
from countyzero.services.accounts import LoginThrottle
from countyzero.settings import DEVELOPMENT_SECRET, Settings
from countyzero.store.db import make_engine, session_factory, upgrade
from countyzero.web.app import create_app
from countyzero.web.i18n import COOKIE as LANGUAGE_COOKIE
from tests.platform.conftest import PASSWORD
from tests.security.world import OTHER, OWN, SESSION_COOKIE, World, cheap_hashes, csrf_of, email, make_world

LIMIT, PER_ADDRESS, WINDOW = 3, 8, 60


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, kinds=(), login_max_failures=LIMIT, login_max_failures_per_address=PER_ADDRESS,
                    login_window_seconds=WINDOW) as made:
        yield made


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(world: World) -> Clock:
    clock = Clock()
    world.client.app.state.login_throttle.clock = clock  # type: ignore[attr-defined]
    return clock


def page_login(client: TestClient, who: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"email": who, "password": password, "csrf": token}, follow_redirects=False)


def api_login(client: TestClient, who: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/token", data={"username": who, "password": password})


# sessions -----------------------------------------------------------------------------------------------------
def test_login_gives_a_new_session_and_the_old_cookie_stays_anonymous(world: World) -> None:
    client = world.client
    client.cookies.clear()
    before_token = csrf_of(client.get("/login").text)
    before = client.cookies[SESSION_COOKIE]
    assert page_login(client, email("analyst", OWN)).status_code == 303
    after = client.cookies[SESSION_COOKIE]
    assert after != before
    assert client.get("/").status_code == 200
    assert csrf_of(client.get("/verify").text) != before_token  # the CSRF token is renewed at login
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, before)  # the cookie an attacker could have planted before the login
    replay = client.get("/", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"] == "/login"
    client.cookies.clear()


def test_logout_ends_the_session_for_every_copy_of_the_cookie(world: World) -> None:
    client = world.client
    client.cookies.clear()
    page_login(client, email("analyst", OWN))
    stolen = client.cookies[SESSION_COOKIE]
    token = csrf_of(client.get("/").text)
    second_device = TestClient(client.app)
    assert page_login(second_device, email("analyst", OWN)).status_code == 303
    logout = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert logout.status_code == 303 and logout.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stolen)
    for response in (client.get("/", follow_redirects=False),
                     client.post("/inventories", data={"csrf": token}, files={"file": ("i.yaml", b"x: 1")},
                                 follow_redirects=False)):
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert second_device.get("/", follow_redirects=False).status_code == 303  # logged out everywhere
    client.cookies.clear()
    assert page_login(client, email("analyst", OWN)).status_code == 303  # a new login works
    assert client.get("/").status_code == 200
    client.cookies.clear()


def test_a_tampered_cookie_is_anonymous(world: World) -> None:
    client = world.client
    client.cookies.clear()
    page_login(client, email("analyst", OWN))
    cookie = client.cookies[SESSION_COOKIE]
    payload, _, signature = cookie.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, forged)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    client.cookies.clear()


def test_cookie_flags(world: World, tmp_path: Path) -> None:
    world.client.cookies.clear()
    response = page_login(world.client, email("analyst", OWN))
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert f"max-age={Settings().session_hours * 3600}" in cookie
    world.client.cookies.clear()
    production = create_app(Settings(environment="production", secret_key="p" * 40,
                                     database_url=f"sqlite:///{tmp_path / 'prod.db'}"))
    with TestClient(production, base_url="https://testserver") as client:
        assert "secure" in client.get("/login").headers["set-cookie"].lower()


# revoking tokens ----------------------------------------------------------------------------------------------
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_revoke_ends_every_token_and_page_session_of_the_caller_only(world: World) -> None:
    client = world.client
    client.cookies.clear()
    mine, my_other_device = (api_login(client, email("analyst", OWN)).json()["access_token"] for _ in range(2))
    theirs = api_login(client, email("verifier", OWN)).json()["access_token"]
    assert page_login(client, email("analyst", OWN)).status_code == 303
    cookie = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    assert client.get("/api/v1/inventories", headers=bearer(mine)).status_code == 200
    revoked = client.post("/api/v1/auth/revoke", headers=bearer(mine))
    assert revoked.status_code == 204 and revoked.content == b""
    for token in (mine, my_other_device):
        refused = client.get("/api/v1/inventories", headers=bearer(token))
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json() == {"detail": "invalid or expired token"}
    assert client.post("/api/v1/auth/revoke", headers=bearer(mine)).status_code == 401
    assert client.get("/api/v1/inventories", headers=bearer(theirs)).status_code == 200  # another user's token
    client.cookies.set(SESSION_COOKIE, cookie)  # the caller's page session ended too
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    client.cookies.clear()
    fresh = api_login(client, email("analyst", OWN)).json()["access_token"]  # logging in again gives a working one
    assert client.get("/api/v1/inventories", headers=bearer(fresh)).status_code == 200


def test_page_logout_revokes_the_users_tokens(world: World) -> None:
    client = world.client
    client.cookies.clear()
    token = api_login(client, email("analyst", OWN)).json()["access_token"]
    other = api_login(client, email("analyst", OTHER)).json()["access_token"]
    page_login(client, email("analyst", OWN))
    assert client.post("/logout", data={"csrf": csrf_of(client.get("/").text)}).status_code == 200  # → /login
    client.cookies.clear()
    assert client.get("/api/v1/inventories", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/inventories", headers=bearer(other)).status_code == 200


def test_a_token_without_a_generation_is_refused(world: World) -> None:
    """Tokens signed before tokens carried the user's generation (before migration 0004) no longer work."""
    from itsdangerous import URLSafeTimedSerializer

    secret = world.client.app.state.settings.secret_key  # type: ignore[attr-defined]
    with world.sessions() as session:
        user_id = accounts.principal_by_id(session, 1).user_id
    old = URLSafeTimedSerializer(secret, salt="api-token").dumps({"uid": user_id})
    assert world.client.get("/api/v1/inventories", headers=bearer(old)).status_code == 401


# login throttling ---------------------------------------------------------------------------------------------
def test_api_login_is_throttled_per_account_with_retry_after(world: World, clock: Clock) -> None:
    client = world.client
    who = email("financier", OWN)
    for _ in range(LIMIT):
        assert api_login(client, who, "wrong password!").status_code == 401
    blocked = api_login(client, who)  # even the right password waits
    assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= WINDOW
    assert "too many failed logins" in blocked.json()["detail"]
    assert api_login(client, email("verifier", OWN)).status_code == 200  # other accounts are not locked
    clock.now += WINDOW + 1
    assert api_login(client, who).status_code == 200


def test_page_login_is_throttled_with_a_bilingual_message(world: World, clock: Clock) -> None:
    client = world.client
    client.cookies.clear()
    who = email("analyst", OWN)
    for _ in range(LIMIT):
        assert page_login(client, who, "wrong password!").status_code == 401
    blocked = page_login(client, who)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert 'id="login-throttled"' in blocked.text
    client.cookies.set(LANGUAGE_COOKIE, "en")
    assert "Too many failed logins" in page_login(client, who).text
    client.cookies.clear()


def test_the_throttle_counts_per_address_across_accounts(world: World, clock: Clock) -> None:
    client = world.client
    for i in range(PER_ADDRESS):
        assert api_login(client, f"nobody{i}@example.cn", "wrong password!").status_code == 401
    blocked = api_login(client, email("county_admin", OWN))  # a right password from a blocked address waits
    assert blocked.status_code == 429


def test_unknown_accounts_are_throttled_like_known_ones(world: World, clock: Clock) -> None:
    answers = []
    for who in (email("analyst", OWN), "nobody@example.cn"):
        answers.append([api_login(world.client, who, "wrong password!").status_code for _ in range(LIMIT + 1)])
    assert answers[0] == answers[1] == [401] * LIMIT + [429]


def test_a_success_resets_the_account_count(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'throttle.db'}")
    upgrade(engine)
    clock = Clock()
    throttle = LoginThrottle(session_factory(engine), max_failures=2, max_failures_per_address=100, window_seconds=10,
                             clock=clock)
    throttle.failed(throttle.admit("a@x.cn", "1.2.3.4"))
    throttle.succeeded(throttle.admit("A@x.cn ", "1.2.3.4"))
    throttle.admit("a@x.cn", "1.2.3.4")  # an attempt counts as a failure until it succeeds
    assert throttle.retry_after("a@x.cn", "1.2.3.4") == 0
    throttle.admit("a@x.cn", "1.2.3.4")
    assert throttle.retry_after("a@x.cn", "5.6.7.8") == 10
    with pytest.raises(accounts.TooManyAttemptsError):
        throttle.admit("a@x.cn", "5.6.7.8")
    clock.now += 4.5
    assert throttle.retry_after("a@x.cn", "5.6.7.8") == 6  # until the oldest counted failure leaves the window
    clock.now += 6
    assert throttle.retry_after("a@x.cn", "5.6.7.8") == 0
    engine.dispose()


# no user enumeration ------------------------------------------------------------------------------------------
def test_unknown_email_and_wrong_password_are_answered_alike(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    verifications: list[str] = []
    sleeps: list[float] = []
    hasher = accounts._HASHER

    class Counting:
        def verify(self, hashed: str, password: str) -> bool:
            verifications.append(hashed)
            return hasher.verify(hashed, password)

    monkeypatch.setattr(accounts, "_HASHER", Counting())
    monkeypatch.setattr(accounts.time, "sleep", sleeps.append)
    client = world.client
    answers = {}
    for case, who in (("wrong password", email("analyst", OWN)), ("unknown email", "nobody@example.cn")):
        api = api_login(client, who, "wrong password!")
        client.cookies.clear()
        page = page_login(client, who, "wrong password!")
        client.cookies.clear()
        text = re.sub(r'name="csrf" value="[^"]+"', "", page.text)
        answers[case] = (api.status_code, api.text, page.status_code, text)
    assert answers["wrong password"] == answers["unknown email"]
    assert answers["unknown email"][0] == 401 and "wrong email or password" in answers["unknown email"][1]
    assert len(verifications) == 4 and verifications[2] == verifications[3] == accounts._DUMMY_HASH
    assert verifications[0] != accounts._DUMMY_HASH
    assert len(sleeps) == 4 and len(set(sleeps)) == 1


# production mode ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("secret", "message"), [
    (DEVELOPMENT_SECRET, "COUNTYZERO_SECRET_KEY must be set in production"),
    ("short-secret", "COUNTYZERO_SECRET_KEY must have at least 32 characters"),
])
def test_serve_refuses_production_without_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str,
                                                  message: str) -> None:
    import uvicorn

    from countyzero.cli import app

    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(args))
    env = {"COUNTYZERO_ENVIRONMENT": "production", "COUNTYZERO_SECRET_KEY": secret,
           "COUNTYZERO_DATABASE_URL": f"sqlite:///{tmp_path / 'cz.db'}"}
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert started == [] and not (tmp_path / "cz.db").exists()
    with cheap_hashes():
        good = CliRunner().invoke(app, ["serve"], env={**env, "COUNTYZERO_SECRET_KEY": "s" * 43})
    assert good.exit_code == 0 and len(started) == 1
    assert "COUNTYZERO_PUBLIC_URL is not set" in good.output  # production is told to set the public address
