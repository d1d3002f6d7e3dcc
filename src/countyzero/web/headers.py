"""Security headers on every response: pages, API, static files and errors (docs/security.md).

The Content-Security-Policy allows scripts, styles, images, fonts and connections from the platform itself
only; no inline script and no plug-ins. Inline *styles* are allowed because the charts are inline SVG drawn by
matplotlib, which styles its elements with ``style`` attributes and a ``<style>`` element. Nothing may frame
the platform (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``) and forms post only to it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
))
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def security_headers(*, hsts_seconds: int | None) -> dict[str, str]:
    """The headers set on every response; ``Strict-Transport-Security`` only with ``hsts_seconds`` (production)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if hsts_seconds is not None:
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
    return headers


class SecurityHeaders:
    """ASGI middleware adding :func:`security_headers` to every HTTP response.

    Added last, it is the outermost user middleware; only Starlette's ``ServerErrorMiddleware`` lies outside it,
    so an unhandled error is answered here (500 with the headers) before it is re-raised for the server's log.
    """

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send_with_headers)
            raise
