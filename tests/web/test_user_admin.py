"""Removing access: the `callcenter user` commands, sessions ended on the
server by logout, a new password or disabling, and the login throttle
counting every spelling of a name as one."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tests.web.conftest import PASSWORD, csrf_token, login
from ticketing.cli import commands
from ticketing.db import session_scope
from ticketing.users import authenticate, get_user


@pytest.fixture
def run(db):
    group = click.Group("callcenter", commands={c.name: c for c in commands})
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(group, list(args), input=input)

    return invoke


def _saved_cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A fresh browser that only has the cookie someone saved."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/tickets")


def test_user_list_shows_role_and_state(run, users):
    run("user", "disable", "super1")

    result = run("user", "list")

    assert result.exit_code == 0, result.output
    lines = {
        line.split("\t")[0]: line.split("\t") for line in result.output.split("\n")
    }
    assert lines["agent1"][1:3] == ["agent", "active"]
    assert lines["super1"][1:3] == ["supervisor", "disabled"]
    assert lines["admin1"][3] == "مدیر سامانه"


def test_disable_and_enable_a_user(run, users, db):
    disabled = run("user", "disable", "AGENT1")

    assert disabled.exit_code == 0, disabled.output
    with session_scope(db) as session:
        assert authenticate(session, "agent1", PASSWORD) is None

    enabled = run("user", "enable", "agent1")

    assert enabled.exit_code == 0, enabled.output
    with session_scope(db) as session:
        assert authenticate(session, "agent1", PASSWORD) is not None


def test_unknown_user_is_a_clear_error(run, users):
    for command in ("disable", "enable", "set-role"):
        args = ["user", command, "nobody"] + (
            ["agent"] if command == "set-role" else []
        )
        result = run(*args)

        assert result.exit_code != 0
        assert "no user 'nobody'" in result.output


def test_set_password_from_stdin(run, users, db):
    result = run(
        "user", "set-password", "agent1", "--password-stdin", input="new-pass-99\n"
    )

    assert result.exit_code == 0, result.output
    with session_scope(db) as session:
        assert authenticate(session, "agent1", "new-pass-99") is not None
        assert authenticate(session, "agent1", PASSWORD) is None


def test_set_password_refuses_a_short_one(run, users, db):
    result = run("user", "set-password", "agent1", "--password-stdin", input="short\n")

    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    with session_scope(db) as session:
        assert authenticate(session, "agent1", PASSWORD) is not None


def test_set_role(run, users, db):
    result = run("user", "set-role", "agent1", "supervisor")

    assert result.exit_code == 0, result.output
    with session_scope(db) as session:
        assert get_user(session, "agent1").role == "supervisor"


def test_set_role_refuses_an_unknown_role(run, users, db):
    result = run("user", "set-role", "agent1", "boss")

    assert result.exit_code != 0
    assert "unknown role 'boss'" in result.output
    with session_scope(db) as session:
        assert get_user(session, "agent1").role == "agent"


def test_a_cookie_saved_before_logout_no_longer_opens_the_list(app, agent_client):
    cookie = _saved_cookie(agent_client)
    assert _replay(app, cookie).status_code == 200

    agent_client.post(
        "/logout", data={"csrf_token": csrf_token(agent_client, "/tickets")}
    )

    assert _replay(app, cookie).status_code == 302


def test_disabling_ends_an_open_session_at_once(app, agent_client, run):
    assert agent_client.get("/tickets").status_code == 200

    run("user", "disable", "agent1")

    assert agent_client.get("/tickets").status_code == 302


def test_a_new_password_ends_open_sessions(app, agent_client, run):
    run("user", "set-password", "agent1", "--password-stdin", input="new-pass-99\n")

    assert agent_client.get("/tickets").status_code == 302


def test_throttle_counts_every_spelling_of_a_name_as_one(client, users, redis_conn):
    from web_console.throttle import MAX_FAILURES

    spellings = ["SUP1", "Sup1", "ｓｕｐ１", "sup1"]
    for attempt in range(MAX_FAILURES):
        login(client, spellings[attempt % len(spellings)], "wrong-password")

    assert login(client, "sup1", "wrong-password").status_code == 429
    assert login(client, "ＳＵＰ１", "wrong-password").status_code == 429
