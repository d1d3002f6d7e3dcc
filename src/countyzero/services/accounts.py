"""Organisations, users, passwords (argon2), login throttling, page-session generations and API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from countyzero.core.errors import InputError
from countyzero.services import audit
from countyzero.services.errors import AuthenticationError, NotFoundError
from countyzero.store.db import DatabaseUnavailable, transaction
from countyzero.store.models import ROLES, LoginFailure, Organisation, User

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


@dataclass(frozen=True)
class Attempt:
    """A login attempt the throttle let through: its rows in ``login_failure`` (counted as failures until the
    attempt succeeds) — or none, and the fault, when the database took no writes."""

    email: str
    ids: tuple[int, ...]
    fault: DatabaseUnavailable | None = None


@dataclass
class LoginThrottle:
    """Failed logins counted per account (the email as typed, known or not) and per client address, in the database.

    ``max_failures`` failures of one account, or ``max_failures_per_address`` from one address, within
    ``window_seconds`` block further attempts (:meth:`retry_after` > 0) until the oldest of them leaves the window.
    An unknown email is counted like a known one, so the throttle reveals nothing about which accounts exist.

    The counts are rows of ``login_failure`` (migration 0004), so every server process — ``serve --workers N``, or
    several hosts on one PostgreSQL — shares them. An attempt is counted *before* its password is checked and stays
    counted unless it succeeds (:meth:`admit`, :meth:`succeeded`). :meth:`admit` is one transaction that inserts the
    attempt's rows (one INSERT per key: counting is never a read-modify-write, so no attempt is lost), counts the
    earlier ones and commits — or rolls back, counting nothing, when the limit was reached. Admissions of one key
    are serialised (SQLite: the INSERT takes the database's write lock before the count; PostgreSQL: a
    transaction-level advisory lock per key), so concurrent attempts are admitted exactly as if they came one
    after the other: never more than the limit. Rows older than the window are deleted by every attempt. The clock
    is the wall clock (seconds since the epoch), the same for every process.
    """

    sessions: sessionmaker[Session]
    max_failures: int
    max_failures_per_address: int
    window_seconds: float
    clock: Callable[[], float] = time.time

    def _limits(self, email: str, address: str) -> list[tuple[str, int]]:
        return [(_account_key(email), self.max_failures), (_address_key(address), self.max_failures_per_address)]

    def admit(self, email: str, address: str) -> Attempt:
        """Count an attempt for ``email`` from ``address``; :class:`TooManyAttemptsError` (and nothing counted) when
        the account or the address has reached its limit within the window.

        When the database takes no writes (full, read-only, busy) the attempt is only checked against the failures
        counted already, and :meth:`failed` then raises the fault: a wrong password that could not be counted is
        not answered as a mere wrong password.
        """
        now = self.clock()
        limits = self._limits(email, address)
        self._prune(now)
        try:
            with transaction(self.sessions) as session:
                if session.get_bind().dialect.name == "postgresql":
                    for key in sorted(key for key, _ in limits):  # one order: no deadlock between two attempts
                        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_id(key)})
                rows = [LoginFailure(key=key, at=now) for key, _ in limits]
                session.add_all(rows)
                session.flush()  # SQLite: the write lock is held from here to the commit
                ids = tuple(row.id for row in rows)
                if wait := self._wait(session, limits, now, exclude=ids):
                    raise TooManyAttemptsError(wait)  # rolled back: a refused attempt is not a failure
        except DatabaseUnavailable as fault:
            with self.sessions() as session:
                if wait := self._wait(session, limits, now, exclude=()):
                    raise TooManyAttemptsError(wait) from None
            return Attempt(email, (), fault)
        return Attempt(email, ids)

    def failed(self, attempt: Attempt) -> None:
        """The attempt failed: it stays counted (:class:`DatabaseUnavailable` when it could not be counted)."""
        if attempt.fault is not None:
            raise attempt.fault

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt succeeded: the account's count is cleared (the address keeps its earlier failures)."""
        # best effort: when the database takes no writes nothing was counted, and the count leaves the window itself
        with contextlib.suppress(DatabaseUnavailable), transaction(self.sessions) as session:
            session.execute(delete(LoginFailure).where(
                (LoginFailure.key == _account_key(attempt.email)) | LoginFailure.id.in_(attempt.ids)))

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until an attempt for ``email`` from ``address`` is allowed again (0: allowed now)."""
        with self.sessions() as session:
            return self._wait(session, self._limits(email, address), self.clock(), exclude=())

    def _wait(self, session: Session, limits: list[tuple[str, int]], now: float, *, exclude: tuple[int, ...]) -> int:
        wait = 0.0
        for key, limit in limits:
            query = select(LoginFailure.at).where(LoginFailure.key == key,
                                                  LoginFailure.at > now - self.window_seconds)
            if exclude:
                query = query.where(LoginFailure.id.not_in(exclude))
            newest = list(session.scalars(query.order_by(LoginFailure.at.desc()).limit(limit)))
            if len(newest) >= limit:  # blocked until the limit-th newest failure leaves the window
                wait = max(wait, newest[limit - 1] + self.window_seconds - now)
        return math.ceil(wait) if wait > 0 else 0

    def _prune(self, now: float) -> None:
        """Delete the rows that have left the window (best effort: a fault here is met again by :meth:`admit`)."""
        with contextlib.suppress(DatabaseUnavailable), transaction(self.sessions) as session:
            session.execute(delete(LoginFailure).where(LoginFailure.at <= now - self.window_seconds))


def _lock_id(key: str) -> int:
    """The PostgreSQL advisory lock (a signed 64-bit integer) that serialises the admissions of one throttle key."""
    return int.from_bytes(hashlib.sha256(b"login-throttle:" + key.encode()).digest()[:8], "big", signed=True)


def _account_key(email: str) -> str:
    return "account:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _address_key(address: str) -> str:
    return "address:" + hashlib.sha256(address.encode("utf-8")).hexdigest()


def authenticate(session: Session, email: str, password: str, *, delay_seconds: float = 0.0,
                 throttle: LoginThrottle | None = None, address: str = "") -> Principal:
    """The user with this email and password; :class:`AuthenticationError` (generic, delayed) otherwise.

    An unknown email and a wrong password take the same path: one argon2 verification (against a dummy hash
    when the email is unknown), the same delay and the same message. With a ``throttle``, a blocked account or
    address raises :class:`TooManyAttemptsError` before any verification; otherwise the attempt is counted before
    the verification and the count cleared if it succeeds (:class:`LoginThrottle`).
    """
    attempt = throttle.admit(email, address) if throttle is not None else None
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        time.sleep(delay_seconds)
        if throttle is not None and attempt is not None:
            throttle.failed(attempt)
        raise AuthenticationError("wrong email or password")
    if throttle is not None and attempt is not None:
        throttle.succeeded(attempt)
    return principal_of(user)


def session_generation(session: Session, user_id: int) -> int:
    """The user's current generation (stored in a page session at login and in a bearer token when issued)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return user.session_generation


def principal_of_session(session: Session, user_id: int, generation: int) -> Principal:
    """The user of a page session or token made in ``generation``; :class:`NotFoundError` once that generation
    ended (:func:`end_sessions`)."""
    user = session.get(User, user_id)
    if user is None or user.session_generation != generation:
        raise NotFoundError("no such session")
    return principal_of(user)


def end_sessions(session: Session, user_id: int) -> None:
    """Log the user out everywhere: every page session and every bearer token made before this call stops working
    (page logout and ``POST /api/v1/auth/revoke``). One UPDATE, so concurrent calls each count."""
    session.execute(update(User).where(User.id == user_id)
                    .values(session_generation=User.session_generation + 1))
    session.flush()


def issue_token(session: Session, principal: Principal, secret: str) -> str:
    """A bearer token of the user, valid until it expires or the user's generation changes (:func:`end_sessions`)."""
    return URLSafeTimedSerializer(secret, salt="api-token").dumps(
        {"uid": principal.user_id, "gen": session_generation(session, principal.user_id)})


def principal_from_token(session: Session, token: str, secret: str, max_age_seconds: int) -> Principal:
    """The user of a bearer token: :class:`AuthenticationError` when it is forged, expired or revoked."""
    try:
        data = URLSafeTimedSerializer(secret, salt="api-token").loads(token, max_age=max_age_seconds)
    except (BadSignature, SignatureExpired):
        raise AuthenticationError("invalid or expired token") from None
    user_id, generation = data.get("uid") if isinstance(data, dict) else None, \
        data.get("gen") if isinstance(data, dict) else None
    if not isinstance(user_id, int) or not isinstance(generation, int):  # e.g. a token of a version before 0004
        raise AuthenticationError("invalid or expired token")
    try:
        return principal_of_session(session, user_id, generation)
    except NotFoundError:
        raise AuthenticationError("invalid or expired token") from None


def principal_by_id(session: Session, user_id: int) -> Principal:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return principal_of(user)
