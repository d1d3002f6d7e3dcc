from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from countyzero.services import accounts
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with minimal cost in tests (the production parameters are tested by argon2-cffi itself)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app_and_sessions(tmp_path: Path) -> Iterator[tuple[TestClient, object]]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'cz.db'}", login_delay_seconds=0,
                        secret_key="test-secret-" + "x" * 20)
    app = create_app(settings)
    sessions = app.state.sessions
    with transaction(sessions) as session:
        for org in ("Baoting County", "Other County"):
            accounts.create_organisation(session, org)
        accounts.create_user(session, "analyst@baoting.cn", PASSWORD, organisation="Baoting County", role="analyst")
        accounts.create_user(session, "owner@baoting.cn", PASSWORD, organisation="Baoting County",
                             role="project_owner")
        accounts.create_user(session, "analyst@other.cn", PASSWORD, organisation="Other County", role="analyst")
    with TestClient(app) as client:
        yield client, sessions


@pytest.fixture
def client(app_and_sessions: tuple[TestClient, object]) -> TestClient:
    return app_and_sessions[0]


def token(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
