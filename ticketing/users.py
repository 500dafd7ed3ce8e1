"""Console users: creation, password checks and changes.

Passwords are stored as werkzeug hashes (scrypt). Persian and Arabic-Indic
digits in a password are read as ASCII digits, the same as everywhere else:
an agent who typed `۱۲۳` on a Persian layout meant 123. Letters are kept as
typed.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from callcenter.persian import normalize_digits, normalize_text
from ticketing.models import Role, User

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 64

# Checked when the username is unknown, so a wrong name takes as long as a
# wrong password and does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class UserError(ValueError):
    """A user cannot be made or changed with the input given."""


def normalize_username(username: str | None) -> str:
    return normalize_text(username).lower()


def _password(password: str | None) -> str:
    password = normalize_digits(password or "")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(member.value for member in Role)
        raise UserError(f"unknown role {role!r} (one of {names})") from None


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(
        select(User).where(User.username == normalize_username(username))
    )


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    full_name: str = "",
) -> User:
    """A new active user; UserError for a taken name, short password, bad role."""
    name = normalize_username(username)
    if not name:
        raise UserError("the username is empty")
    if len(name) > MAX_USERNAME_LENGTH or any(ch.isspace() for ch in name):
        raise UserError(
            f"the username must be one word of at most {MAX_USERNAME_LENGTH} characters"
        )
    role = _role(role)
    secret = _password(password)
    if get_user(session, name) is not None:
        raise UserError(f"user {name!r} already exists")

    user = User(
        username=name,
        full_name=normalize_text(full_name)[:200],
        password_hash=generate_password_hash(secret),
        role=role,
        active=True,
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None

    logger.info("user %s created with role %s", name, role.value)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user of these credentials, or None."""
    user = get_user(session, username)
    secret = normalize_digits(password or "")
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, secret)
        return None
    if not check_password_hash(user.password_hash, secret):
        logger.info("user %s: wrong password", user.username)
        return None
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = generate_password_hash(_password(password))
    session.flush()
    logger.info("user %s: password changed", user.username)
