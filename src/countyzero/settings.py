"""Settings of the platform, from the environment (prefix ``COUNTYZERO_``) — one class, read once.

``COUNTYZERO_DATABASE_URL`` chooses the database (default: an embedded SQLite file in the user data
directory); ``COUNTYZERO_SECRET_KEY`` signs sessions and tokens; ``COUNTYZERO_PUBLIC_URL`` is the address
that public links and QR codes name. In production mode
(``COUNTYZERO_ENVIRONMENT=production``) the settings refuse to load with the development secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from countyzero.core.limits import InputLimits

DEVELOPMENT_SECRET = "countyzero-development-secret-change-me"  # refused in production (below)
MIN_SECRET_LENGTH = 32
"""Shortest secret accepted in production: 32 characters, e.g. ``python -c "import secrets;
print(secrets.token_urlsafe(32))"`` (43 characters, 256 bits; RFC 2104 §3 asks for keys no shorter than the
hash output)."""


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/countyzero`` (default ``~/.local/share/countyzero``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "countyzero"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COUNTYZERO_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = Field(default_factory=lambda: f"sqlite:///{user_data_dir() / 'countyzero.db'}")
    secret_key: str = DEVELOPMENT_SECRET
    token_minutes: int = Field(default=8 * 60, gt=0, description="lifetime of API bearer tokens")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    limits: InputLimits = Field(default_factory=InputLimits,
                                description="what one input file may cost to read (COUNTYZERO_MAX_*)")
    login_delay_seconds: float = Field(default=0.5, ge=0, description="delay after a failed login")
    chart_cache_entries: int = Field(default=128, gt=0, description="pages' charts of stored assessments kept "
                                     "drawn (web.charts.ChartCache; ≈ 0.1–0.4 MB of SVG each)")
    # serving and overload (docs/reliability.md has the load test that chose these values)
    workers: int = Field(default=1, ge=1, description="server processes of `countyzero serve`")
    max_in_flight: int = Field(default=32, ge=1, description="requests in progress per process; more wait")
    queue_seconds: float = Field(default=1.0, ge=0, description="longest wait for a slot before a 503")
    retry_after_seconds: int = Field(default=2, ge=0, description="Retry-After of a 503 when overloaded")
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, description="SQLite wait for a write lock")
    # Login throttling (docs/security.md). NIST SP 800-63B §5.2.2 asks for at most 100 consecutive failures per
    # account; OWASP ASVS 4.0 V2.2.1 for anti-automation. Ours is stricter: 5 per account and 20 per client
    # address in 15 minutes, then 429 with Retry-After until the oldest failure leaves the window.
    login_max_failures: int = Field(default=5, gt=0, description="failed logins per account within the window")
    login_max_failures_per_address: int = Field(default=20, gt=0,
                                                description="failed logins per client address within the window")
    login_window_seconds: int = Field(default=15 * 60, gt=0, description="window of the login throttle")
    session_hours: int = Field(default=12, gt=0, description="lifetime of a page session cookie (OWASP ASVS V3.3)")
    public_url: str | None = Field(default=None, description=
                                   "the platform's public address (scheme and host, e.g. https://zero.baoting.gov.cn): "
                                   "every absolute public link and QR code uses it, never the request's Host header")
    hsts_seconds: int = Field(default=365 * 24 * 3600, ge=0,
                              description="Strict-Transport-Security max-age in production (RFC 6797; one year "
                                          "as the HSTS preload list asks)")

    @field_validator("public_url")
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        """An ``http(s)://host[:port][/path]`` address without query or fragment, kept without its trailing slash
        (an empty value: not set)."""
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
                or parts.username or parts.password:
            raise ValueError("COUNTYZERO_PUBLIC_URL must be an http(s) address such as https://zero.baoting.gov.cn "
                             "(no query, fragment or credentials)")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("COUNTYZERO_SECRET_KEY must be set in production (it signs sessions and tokens; "
                             "the development secret is public)")
        if self.environment == "production" and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(f"COUNTYZERO_SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters in production")
        return self
