"""Graceful overload: at most ``max_in_flight`` requests in progress per process; beyond that a request waits in
a queue for at most ``queue_seconds``, then gets ``503 Service Unavailable`` with ``Retry-After`` instead of
timing out. A refused request never reaches the application, so it changes nothing. The health endpoint is exempt
(a busy server is alive). A write that cannot get the database's lock in time (SQLite's busy timeout, PostgreSQL's
lock timeout, serialisation failure or deadlock) has been rolled back by then and answers 503 too, not 500.
The limits are settings (``COUNTYZERO_MAX_IN_FLIGHT`` …; docs/reliability.md).
"""

import asyncio
import json
from html import escape
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from countyzero.settings import Settings
from countyzero.web.i18n import COOKIE, pick_language, translate

EXEMPT = frozenset({"/api/v1/health"})


def install(app: FastAPI, settings: Settings) -> None:
    """The request limit on ``app`` (a busy database is answered by the application's one database-fault handler)."""
    app.add_middleware(ConcurrencyLimit, max_in_flight=settings.max_in_flight, queue_seconds=settings.queue_seconds,
                       retry_after_seconds=settings.retry_after_seconds)


def busy(scope: Scope) -> tuple[int, Any]:
    """503 and the bilingual "server busy" answer: JSON ``{"detail": …}`` on the API, a small page elsewhere."""
    headers = Headers(scope=scope)
    language = pick_language(cookie_parser(headers.get("cookie", "")).get(COOKIE), headers.get("accept-language"))
    if scope["path"].startswith("/api/"):
        return 503, {"detail": translate("server_busy", "en")}
    message = escape(translate("server_busy", language))
    return 503, f"<!doctype html><html lang={language}><meta charset=utf-8><title>503</title><p>{message}</p></html>"


class ConcurrencyLimit:
    """Pure ASGI middleware (it holds the slot until the response has been sent in full)."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, queue_seconds: float, retry_after_seconds: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.queue_seconds = queue_seconds
        self.retry_after = str(retry_after_seconds)
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:  # one per event loop (a server has one; tests, several)
            self._slots, self._loop = asyncio.Semaphore(self.max_in_flight), loop
        slots = self._slots
        if slots.locked():  # all slots taken: wait in the queue, at most queue_seconds
            try:
                if self.queue_seconds <= 0:
                    raise TimeoutError
                await asyncio.wait_for(slots.acquire(), self.queue_seconds)
            except TimeoutError:
                await self._refuse(scope, send)
                return
        else:
            await slots.acquire()  # free: immediate
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _refuse(self, scope: Scope, send: Send) -> None:
        status, answer = busy(scope)
        api = scope["path"].startswith("/api/")
        body = (json.dumps(answer) if api else answer).encode("utf-8")
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json" if api else b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"retry-after", self.retry_after.encode())]})
        await send({"type": "http.response.body", "body": body})
