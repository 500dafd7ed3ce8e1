"""Console users: creation, password checks and changes, disabling, roles.

Every change that should end a person's open console sessions (logout,
a new password, disabling) gives the user a new session_token: the console
keeps it in the login id, so a copied session cookie stops working at once.

Passwords are stored as werkzeug hashes (scrypt). Persian and Arabic-Indic
digits in a password are read as ASCII digits, the same as everywhere else:
an agent who typed `۱۲۳` on a Persian layout meant 123. Letters are kept as
typed.
"""

from __future__ import annotations

import logging
import unicodedata

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from callcenter.persian import normalize_digits, normalize_text
from ticketing.models import Role, User, new_session_token

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 64

# Checked when the username is unknown, so a wrong name takes as long as a
# wrong password and does not reveal which names exist.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class UserError(ValueError):
    """A user cannot be made or changed with the input given."""


def normalize_username(username: str | None) -> str:
    """The stored form of a name: full-width and other compatibility forms
    folded (NFKC, so ｓｕｐ１ is sup1), Persian normalized, lower case. Login
    and its throttle both use it, so every spelling counts as one name."""
    return normalize_text(unicodedata.normalize("NFKC", username or "")).lower()


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
        # Not the typed name: it may be a password pasted into the wrong box.
        logger.info("login refused: no active user of that name")
        return None
    if not check_password_hash(user.password_hash, secret):
        logger.info("user %s: wrong password", user.username)
        return None
    return user


def require_user(session: Session, username: str) -> User:
    """The user of this name; UserError naming it when there is none."""
    user = get_user(session, username)
    if user is None:
        raise UserError(f"no user {normalize_username(username)!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def end_sessions(session: Session, user: User) -> None:
    """Make every console session of this user invalid."""
    user.session_token = new_session_token()
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = generate_password_hash(_password(password))
    end_sessions(session, user)
    logger.info("user %s: password changed; sessions ended", user.username)


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable (ending every session at once) or enable a user."""
    user.active = active
    end_sessions(session, user)
    logger.info("user %s: %s", user.username, "enabled" if active else "disabled")


def set_role(session: Session, user: User, role: Role | str) -> None:
    user.role = _role(role)
    session.flush()
    logger.info("user %s: role now %s", user.username, user.role)
