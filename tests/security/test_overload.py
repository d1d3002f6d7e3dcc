"""Graceful overload (issue 11 §4): beyond ``max_in_flight`` requests and ``queue_seconds`` of waiting, the server
answers 503 with Retry-After at once, stores nothing for the refused request, and keeps its health endpoint up."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import func, select

from countyzero.services import accounts, assessments, audit
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.store.models import Assessment
from countyzero.web.app import create_app
from countyzero.web.i18n import translate

BOQ = Path(__file__).resolve().parents[2] / "examples" / "baoting" / "buildings" / "clinic_boq.yaml"
EMAIL, PASSWORD = "analyst@baoting.cn", "correct horse battery"
UPLOAD = "/api/v1/buildings/assessments"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def slow_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The building engine, held at its start until the test releases it (so a request stays in flight)."""
    started, release = threading.Event(), threading.Event()
    real = assessments.ENGINES["building"]

    def held(data: dict[str, Any]) -> dict[str, Any]:
        started.set()
        release.wait(10)
        return real(data)

    monkeypatch.setitem(assessments.ENGINES, "building", held)
    yield started, release
    release.set()


def make_app(tmp_path: Path, **limits: Any) -> FastAPI:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'cz.db'}", login_delay_seconds=0,
                        secret_key="test-secret-" + "x" * 20, **limits)
    app = create_app(settings)
    with transaction(app.state.sessions) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_user(session, EMAIL, PASSWORD, organisation="Baoting County", role="analyst")
    return app


async def started_in_flight(client: httpx2.AsyncClient, started: threading.Event,
                            headers: dict[str, str]) -> asyncio.Task[httpx2.Response]:
    boq = yaml.safe_load(BOQ.read_text(encoding="utf-8"))
    task = asyncio.create_task(client.post(UPLOAD, json=boq, headers=headers))
    for _ in range(500):
        if started.is_set():
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the slow request never started")


def test_beyond_capacity_answers_503_quickly_and_stores_nothing(
        tmp_path: Path, slow_engine: tuple[threading.Event, threading.Event]) -> None:
    started, release = slow_engine
    app = make_app(tmp_path, max_in_flight=1, queue_seconds=0.1, retry_after_seconds=7)
    boq = yaml.safe_load(BOQ.read_text(encoding="utf-8"))

    async def scenario() -> None:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test",
                                      timeout=30) as client:
            answer = await client.post("/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            slow = await started_in_flight(client, started, headers)

            began = time.monotonic()
            refused = await client.post(UPLOAD, json=boq, headers=headers)
            assert time.monotonic() - began < 2  # the queue wait (0.1 s), not the slow request's time
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "7"
            assert refused.json() == {"detail": translate("server_busy", "en")}
            page = await client.get("/login", headers={"Accept-Language": "zh-CN"})
            assert page.status_code == 503 and translate("server_busy", "zh") in page.text
            assert (await client.get("/api/v1/health")).status_code == 200  # exempt: a busy server is alive

            release.set()
            assert (await slow).status_code == 201
            assert (await client.post(UPLOAD, json=boq, headers=headers)).status_code == 201  # the slot is free

    asyncio.run(scenario())
    with app.state.sessions() as session:  # the two accepted uploads, and nothing of the refused one
        assert session.scalar(select(func.count()).select_from(Assessment)) == 2
        assert audit.count(session) == 2 + 2  # organisation and user, then two assessments
        assert audit.verify_chain(session) == []


def test_a_request_waits_in_the_queue_for_a_slot(tmp_path: Path,
                                                  slow_engine: tuple[threading.Event, threading.Event]) -> None:
    started, release = slow_engine
    app = make_app(tmp_path, max_in_flight=1, queue_seconds=10)

    async def scenario() -> None:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test",
                                      timeout=30) as client:
            answer = await client.post("/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            slow = await started_in_flight(client, started, headers)
            queued = asyncio.create_task(client.get("/api/v1/buildings/assessments", headers=headers))
            await asyncio.sleep(0.2)
            assert not queued.done()  # waiting for the slot, not refused
            release.set()
            assert (await slow).status_code == 201
            listed = await queued
            assert listed.status_code == 200 and len(listed.json()) == 1

    asyncio.run(scenario())


def test_a_write_that_cannot_lock_the_database_answers_503_and_stores_nothing(tmp_path: Path) -> None:
    """Another writer holds SQLite's write lock past the busy timeout: 503 with Retry-After, not 500."""
    import sqlite3

    app = make_app(tmp_path, sqlite_busy_timeout_ms=50, retry_after_seconds=3)
    boq = yaml.safe_load(BOQ.read_text(encoding="utf-8"))

    async def post(client: httpx2.AsyncClient, headers: dict[str, str]) -> httpx2.Response:
        return await client.post(UPLOAD, json=boq, headers=headers)

    async def scenario() -> None:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test",
                                      timeout=30) as client:
            answer = await client.post("/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            other = sqlite3.connect(tmp_path / "cz.db", isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # the write lock, held
            try:
                refused = await post(client, headers)
            finally:
                other.execute("ROLLBACK")
                other.close()
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "3"
            assert (await post(client, headers)).status_code == 201

    asyncio.run(scenario())
    with app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 1
        assert audit.verify_chain(session) == []
