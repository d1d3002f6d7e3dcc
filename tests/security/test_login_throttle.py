"""The login throttle is kept in the database, so every server process shares it (docs/security.md).

- Two applications on one database (two processes of ``serve --workers 2``, each with its own engine): failures
  through one and through the other add up; a success through either clears the account's count.
- Threads on separate engines (SQLite, and PostgreSQL when ``COUNTYZERO_TEST_POSTGRES_URL`` is set) attempt at
  once: no attempt is lost, and exactly the limit's number of attempts is admitted (never more).
- Rows older than the window are deleted; the typed email is not stored.
- A database that takes no writes (read-only): the right password still logs in, a wrong one answers 503 (it
  could not be counted).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from countyzero.services import accounts
from countyzero.services.accounts import LoginThrottle, TooManyAttemptsError
from countyzero.settings import Settings
from countyzero.store.db import make_engine, session_factory, transaction, upgrade
from countyzero.store.models import LoginFailure
from countyzero.web.app import create_app
from tests.platform.conftest import PASSWORD
from tests.platform.test_migrations import postgres_url

__all__ = ["postgres_url"]

LIMIT, PER_ADDRESS, WINDOW = 3, 50, 60
USER = "analyst@baoting.cn"


def settings(url: str, **overrides: Any) -> Settings:
    return Settings(environment="test", database_url=url, login_delay_seconds=0, secret_key="throttle-" + "t" * 30,
                    login_max_failures=LIMIT, login_max_failures_per_address=PER_ADDRESS,
                    login_window_seconds=WINDOW, **overrides)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite file with one organisation and one user."""
    url = f"sqlite:///{tmp_path / 'cz.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_user(session, USER, PASSWORD, organisation="Baoting County", role="analyst")
    engine.dispose()
    return url


@pytest.fixture
def two_workers(database: str) -> Iterator[tuple[TestClient, TestClient, Clock]]:
    """Two applications on the one database — what two worker processes are — sharing a fake clock."""
    clock = Clock()
    apps = [create_app(settings(database)) for _ in range(2)]
    for app in apps:
        app.state.login_throttle.clock = clock
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        yield first, second, clock
    for app in apps:
        app.state.sessions.kw["bind"].dispose()


def api_login(client: TestClient, who: str = USER, password: str = PASSWORD) -> int:
    return client.post("/api/v1/auth/token", data={"username": who, "password": password}).status_code


def rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_failures_through_two_workers_add_up(two_workers: tuple[TestClient, TestClient, Clock]) -> None:
    first, second, clock = two_workers
    for _ in range(LIMIT - 1):
        assert api_login(first, password="wrong password!") == 401
    assert api_login(second, password="wrong password!") == 401  # the LIMIT-th failure, through the other worker
    assert api_login(first) == 429 and api_login(second) == 429  # each worker refuses, the right password too
    blocked = second.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD})
    assert 0 < int(blocked.headers["retry-after"]) <= WINDOW
    clock.now += WINDOW + 1
    assert api_login(second) == 200


def test_a_success_through_one_worker_clears_the_count_for_both(
        two_workers: tuple[TestClient, TestClient, Clock]) -> None:
    first, second, _ = two_workers
    for _ in range(LIMIT - 1):
        assert api_login(first, password="wrong password!") == 401
    assert api_login(second) == 200
    for _ in range(LIMIT - 1):  # the count started again
        assert api_login(first, password="wrong password!") == 401
    assert api_login(second, password="wrong password!") == 401
    assert api_login(first) == 429


def test_page_and_api_logins_share_the_count(two_workers: tuple[TestClient, TestClient, Clock]) -> None:
    from tests.security.world import csrf_of

    first, second, _ = two_workers
    for _ in range(LIMIT):
        token = csrf_of(first.get("/login").text)
        page = first.post("/login", data={"email": USER, "password": "wrong password!", "csrf": token})
        assert page.status_code == 401
    assert api_login(second) == 429


def test_old_rows_are_deleted_and_the_email_is_not_stored(database: str) -> None:
    engine = make_engine(database)
    sessions = session_factory(engine)
    clock = Clock()
    throttle = LoginThrottle(sessions, LIMIT, PER_ADDRESS, WINDOW, clock=clock)
    for i in range(10):
        throttle.failed(throttle.admit(f"guess{i}@example.cn", "10.0.0.1"))
    assert rows(sessions) == 20  # one per account and one per address, each attempt
    with sessions() as session:
        keys = list(session.scalars(select(LoginFailure.key)))
    assert not any("guess" in key or "10.0.0.1" in key for key in keys)
    assert all(len(key) <= 80 for key in keys)
    clock.now += WINDOW
    throttle.failed(throttle.admit("late@example.cn", "10.0.0.2"))
    assert rows(sessions) == 2  # the next attempt deleted every row that had left the window
    engine.dispose()


def test_a_huge_typed_email_is_counted_by_its_digest(two_workers: tuple[TestClient, TestClient, Clock]) -> None:
    first, _, _ = two_workers
    assert api_login(first, who="x" * 100_000 + "@example.cn", password="wrong password!") == 401


def _attempt_at_once(throttles: list[LoginThrottle], attempts: int, email: Callable[[int], str]) -> list[str]:
    """``attempts`` threads (round-robin over ``throttles``, each on its own engine) attempt a login at once and
    fail it; each returns ``failed`` (admitted: its password would have been checked) or ``refused`` (429)."""
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        throttle = throttles[i % len(throttles)]
        barrier.wait()
        try:
            throttle.failed(throttle.admit(email(i), "192.0.2.7"))
            outcome = "failed"
        except TooManyAttemptsError:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _concurrency(url: str) -> None:
    engines = [make_engine(url, busy_timeout_ms=30_000) for _ in range(3)]  # three "processes"
    sessions = [session_factory(engine) for engine in engines]
    throttles = [LoginThrottle(s, LIMIT, 1000, WINDOW) for s in sessions]
    try:
        # one account guessed by many at once: exactly LIMIT attempts admitted (as if one after the other), each
        # counted; the refused ones are not
        outcomes = _attempt_at_once(throttles, 24, lambda i: "victim@example.cn")
        assert sorted(outcomes) == ["failed"] * LIMIT + ["refused"] * (24 - LIMIT)
        assert rows(sessions[0]) == 2 * LIMIT
        # many accounts at once (an address limit of 1000): no failure is lost
        with transaction(sessions[0]) as session:
            session.execute(LoginFailure.__table__.delete())
        outcomes = _attempt_at_once(throttles, 30, lambda i: f"user{i}@example.cn")
        assert outcomes == ["failed"] * 30
        assert rows(sessions[1]) == 60
        assert throttles[2].retry_after("user0@example.cn", "192.0.2.8") == 0
        tight = LoginThrottle(sessions[2], LIMIT, 30, WINDOW)
        assert tight.retry_after("anyone@example.cn", "192.0.2.7") > 0  # the address has its 30 failures
    finally:
        for engine in engines:
            engine.dispose()


def test_concurrent_attempts_on_sqlite(database: str) -> None:
    _concurrency(database)


def test_concurrent_attempts_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    engine.dispose()
    _concurrency(postgres_url)


def test_two_workers_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_user(session, USER, PASSWORD, organisation="Baoting County", role="analyst")
    engine.dispose()
    apps = [create_app(settings(postgres_url), migrate=False) for _ in range(2)]
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        for _ in range(LIMIT - 1):
            assert api_login(first, password="wrong password!") == 401
        assert api_login(second, password="wrong password!") == 401
        assert api_login(first) == 429 and api_login(second) == 429
    for app in apps:
        app.state.sessions.kw["bind"].dispose()


def test_a_read_only_database_logs_in_but_answers_503_to_an_uncounted_failure(database: str) -> None:
    read_only = f"sqlite:///file:{make_url(database).database}?mode=ro&uri=true"
    app = create_app(settings(read_only), migrate=False)
    with TestClient(app) as client:
        assert api_login(client) == 200
        refused = client.post("/api/v1/auth/token", data={"username": USER, "password": "wrong password!"})
        assert refused.status_code == 503 and refused.json() == {"detail": "database is read-only"}
    app.state.sessions.kw["bind"].dispose()
