"""Console users: hashing, normalized names, errors."""

from __future__ import annotations

import pytest

from ticketing.users import UserError, authenticate, create_user, set_password


def test_create_and_authenticate(session):
    user = create_user(session, " Sara ", "secret-pass-1", "supervisor", "سارا كريمي")

    assert user.username == "sara"
    assert user.full_name == "سارا کریمی"
    assert user.role == "supervisor"
    assert "secret-pass-1" not in user.password_hash
    assert authenticate(session, "SARA", "secret-pass-1").id == user.id
    assert authenticate(session, "sara", "wrong-pass-1") is None
    assert authenticate(session, "nobody", "secret-pass-1") is None


def test_persian_digits_in_password_are_ascii(session):
    create_user(session, "agent2", "۱۲۳۴۵۶۷۸", "agent")

    assert authenticate(session, "agent2", "12345678") is not None


def test_errors(session):
    create_user(session, "agent3", "long-enough", "agent")

    with pytest.raises(UserError, match="exists"):
        create_user(session, "AGENT3", "long-enough", "agent")
    with pytest.raises(UserError, match="password"):
        create_user(session, "agent4", "short", "agent")
    with pytest.raises(UserError, match="role"):
        create_user(session, "agent5", "long-enough", "boss")
    with pytest.raises(UserError, match="username"):
        create_user(session, "two words", "long-enough", "agent")
    with pytest.raises(UserError, match="empty"):
        create_user(session, "  ", "long-enough", "agent")


def test_inactive_user_cannot_log_in(session):
    user = create_user(session, "agent6", "long-enough", "agent")
    user.active = False

    assert authenticate(session, "agent6", "long-enough") is None


def test_set_password(session):
    user = create_user(session, "agent7", "first-password", "agent")

    set_password(session, user, "second-password")

    assert authenticate(session, "agent7", "first-password") is None
    assert authenticate(session, "agent7", "second-password") is not None
    with pytest.raises(UserError):
        set_password(session, user, "short")
