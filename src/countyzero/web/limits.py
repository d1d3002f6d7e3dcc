"""Graceful overload: at most ``max_in_flight`` requests in progress per process; beyond that a request waits in
a queue for at most ``queue_seconds``, then gets ``503 Service Unavailable`` with ``Retry-After`` instead of
timing out. A refused request never reaches the application, so it changes nothing. The health endpoint is exempt
(a busy server is alive). The limits are settings (``COUNTYZERO_MAX_IN_FLIGHT`` …; docs/reliability.md).
"""

import asyncio
import json
from html import escape

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from countyzero.web.i18n import COOKIE, pick_language, translate

EXEMPT = frozenset({"/api/v1/health"})


class ConcurrencyLimit:
    """Pure ASGI middleware (it holds the slot until the response has been sent in full)."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, queue_seconds: float, retry_after_seconds: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.queue_seconds = queue_seconds
        self.retry_after = str(retry_after_seconds)
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made inside the server's event loop
            self._slots = asyncio.Semaphore(self.max_in_flight)
        slots = self._slots
        try:
            if slots.locked() and self.queue_seconds <= 0:
                raise TimeoutError
            await asyncio.wait_for(slots.acquire(), self.queue_seconds)
        except TimeoutError:
            await self._refuse(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _refuse(self, scope: Scope, send: Send) -> None:
        api = scope["path"].startswith("/api/")
        headers = Headers(scope=scope)
        language = pick_language(cookie_parser(headers.get("cookie", "")).get(COOKIE), headers.get("accept-language"))
        message = translate("server_busy", "en" if api else language)
        body = (json.dumps({"detail": message}) if api else
                f"<!doctype html><html lang={language}><meta charset=utf-8><title>503</title>"
                f"<p>{escape(message)}</p></html>").encode("utf-8")
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json" if api else b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()), (b"retry-after", self.retry_after.encode())]})
        await send({"type": "http.response.body", "body": body})
