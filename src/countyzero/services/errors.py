"""Errors of the service layer (each maps to one HTTP status in the web layer)."""

from __future__ import annotations

from countyzero.core.errors import CountyZeroError


class NotFoundError(CountyZeroError, LookupError):
    """Absent, or belonging to another organisation (the two are indistinguishable on purpose)."""


class PermissionDeniedError(CountyZeroError, PermissionError):
    """The caller's role does not allow this."""


class AuthenticationError(CountyZeroError, PermissionError):
    """Wrong email or password (one generic message, whichever was wrong)."""
