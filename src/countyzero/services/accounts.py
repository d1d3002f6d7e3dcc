"""Organisations, users, passwords (argon2), login throttling, page-session generations and API tokens."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from countyzero.core.errors import InputError
from countyzero.services import audit
from countyzero.services.errors import AuthenticationError, NotFoundError
from countyzero.store.models import ROLES, Organisation, User

_HASHER = PasswordHasher()
# A hash of a random password, verified against when the email is unknown, so that an unknown email and a
# wrong password take the same time (no user enumeration).
_DUMMY_HASH = _HASHER.hash("countyzero-no-such-user")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user of an organisation with a role."""

    user_id: int
    email: str
    organisation_id: int
    organisation: str
    role: str


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.email, user.organisation_id, user.organisation.name, user.role)


def create_organisation(session: Session, name: str, *, actor: str = "cli") -> Organisation:
    name = name.strip()
    if not name:
        raise InputError("organisation name is empty", field="name")
    if session.scalars(select(Organisation).where(Organisation.name == name)).first():
        raise InputError(f"organisation {name!r} exists already", field="name")
    org = Organisation(name=name)
    session.add(org)
    session.flush()
    audit.record(session, actor=actor, organisation_id=org.id, action="create", entity="organisation",
                 entity_id=org.id, payload={"name": name})
    return org


def create_user(session: Session, email: str, password: str, *, organisation: str, role: str,
                actor: str = "cli") -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise InputError("not an email address", field="email")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password shorter than {MIN_PASSWORD_LENGTH} characters", field="password")
    org = session.scalars(select(Organisation).where(Organisation.name == organisation)).first()
    if org is None:
        raise InputError(f"no organisation {organisation!r}", field="org")
    if session.scalars(select(User).where(User.email == email)).first():
        raise InputError(f"a user {email!r} exists already", field="email")
    user = User(email=email, password_hash=_HASHER.hash(password), role=role, organisation_id=org.id)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, organisation_id=org.id, action="create", entity="user", entity_id=user.id,
                 payload={"email": email, "role": role})
    return user


class TooManyAttemptsError(AuthenticationError):
    """Too many failed logins for this account or from this address; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class LoginThrottle:
    """Failed logins counted per account (the email as typed, known or not) and per client address.

    ``max_failures`` failures of one account, or ``max_failures_per_address`` from one address, within
    ``window_seconds`` block further attempts (:meth:`retry_after` > 0) until the oldest of them leaves the window.
    An unknown email is counted like a known one, so the throttle reveals nothing about which accounts exist.
    In-process memory: each server process counts on its own (docs/security.md).
    """

    max_failures: int
    max_failures_per_address: int
    window_seconds: float
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until an attempt for ``email`` from ``address`` is allowed again (0: allowed now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key, limit in ((_account_key(email), self.max_failures),
                               (_address_key(address), self.max_failures_per_address)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(wait, times[len(times) - limit] + self.window_seconds - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (_account_key(email), _address_key(address)):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > _SWEEP_ABOVE:  # forget keys whose failures have all left the window
                for key in list(self._failures):
                    self._recent(key, now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(_account_key(email), None)


_SWEEP_ABOVE = 10_000
"""Number of throttle keys above which a failed login also sweeps expired keys (bounds memory, not a limit)."""


def _account_key(email: str) -> str:
    return "account:" + email.strip().lower()


def _address_key(address: str) -> str:
    return "address:" + address


def authenticate(session: Session, email: str, password: str, *, delay_seconds: float = 0.0,
                 throttle: LoginThrottle | None = None, address: str = "") -> Principal:
    """The user with this email and password; :class:`AuthenticationError` (generic, delayed) otherwise.

    An unknown email and a wrong password take the same path: one argon2 verification (against a dummy hash
    when the email is unknown), the same delay and the same message. With a ``throttle``, a blocked account or
    address raises :class:`TooManyAttemptsError` before any verification.
    """
    if throttle is not None and (wait := throttle.retry_after(email, address)):
        raise TooManyAttemptsError(wait)
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        if throttle is not None:
            throttle.failed(email, address)
        time.sleep(delay_seconds)
        raise AuthenticationError("wrong email or password")
    if throttle is not None:
        throttle.succeeded(email)
    return principal_of(user)


def session_generation(session: Session, user_id: int) -> int:
    """The user's current page-session generation (stored in a page session at login)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return user.session_generation


def principal_of_session(session: Session, user_id: int, generation: int) -> Principal:
    """The user of a page session made in ``generation``; :class:`NotFoundError` once that generation ended."""
    user = session.get(User, user_id)
    if user is None or user.session_generation != generation:
        raise NotFoundError("no such session")
    return principal_of(user)


def end_sessions(session: Session, user_id: int) -> None:
    """Log the user out everywhere: every page session made before this call stops working."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_generation += 1
        session.flush()


def issue_token(principal: Principal, secret: str) -> str:
    return URLSafeTimedSerializer(secret, salt="api-token").dumps({"uid": principal.user_id})


def principal_from_token(session: Session, token: str, secret: str, max_age_seconds: int) -> Principal:
    try:
        data = URLSafeTimedSerializer(secret, salt="api-token").loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired):
        raise AuthenticationError("invalid or expired token") from None
    return principal_by_id(session, int(data["uid"]))


def principal_by_id(session: Session, user_id: int) -> Principal:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return principal_of(user)
