"""Organisations, users, passwords (argon2) and API tokens."""

from __future__ import annotations

import time
from dataclasses import dataclass

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


def authenticate(session: Session, email: str, password: str, *, delay_seconds: float = 0.0) -> Principal:
    """The user with this email and password; :class:`AuthenticationError` (generic, delayed) otherwise."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        time.sleep(delay_seconds)
        raise AuthenticationError("wrong email or password")
    return principal_of(user)


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
