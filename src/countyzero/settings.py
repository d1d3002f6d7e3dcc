"""Settings of the platform, from the environment (prefix ``COUNTYZERO_``) — one class, read once.

``COUNTYZERO_DATABASE_URL`` chooses the database (default: an embedded SQLite file in the user data
directory); ``COUNTYZERO_SECRET_KEY`` signs sessions and tokens. In production mode
(``COUNTYZERO_ENVIRONMENT=production``) the settings refuse to load with the development secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from countyzero.core.limits import InputLimits

DEVELOPMENT_SECRET = "countyzero-development-secret-change-me"  # refused in production (below)


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

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("COUNTYZERO_SECRET_KEY must be set in production")
        return self
