"""Login, logout, CSRF and the role check on every route."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, csrf_token, login, make_user
from ticketing.db import session_scope
from web_console.auth import LOGIN_FAILED, PUBLIC_ENDPOINTS


def test_login_page_is_persian_right_to_left(client, users):
    page = client.get("/login")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert "ورود به مرکز تماس" in html


def test_login_with_the_right_password_opens_the_ticket_list(client, users):
    response = login(client, "agent1")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tickets")
    assert "مریم کریمی" in client.get("/tickets").get_data(as_text=True)


def test_login_accepts_a_username_typed_with_persian_digits_or_spaces(client, db):
    make_user(db, "agent7", "agent")

    response = login(client, " agent۷ ")

    assert response.status_code == 302


def _without_token(html: str) -> str:
    return re.sub(r'value="[^"]*"', "", html)


def test_wrong_password_and_unknown_user_get_the_same_persian_error(client, users):
    wrong = login(client, "agent1", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert LOGIN_FAILED in wrong.get_data(as_text=True)
    wrong_html = _without_token(wrong.get_data(as_text=True))
    unknown_html = _without_token(unknown.get_data(as_text=True))
    assert wrong_html.replace("agent1", "X") == unknown_html.replace("nobody", "X")
    assert client.get("/tickets").status_code == 302


def test_empty_login_form_names_the_missing_fields_in_persian(client, users):
    token = csrf_token(client, "/login")

    page = client.post("/login", data={"csrf_token": token})

    html = page.get_data(as_text=True)
    assert "نام کاربری را وارد کنید." in html
    assert "گذرواژه را وارد کنید." in html


def test_disabled_user_cannot_log_in(client, users, db):
    from sqlalchemy import update

    from ticketing.models import User

    with session_scope(db) as session:
        session.execute(
            update(User).where(User.username == "agent1").values(active=False)
        )

    response = login(client, "agent1")

    assert response.status_code == 401
    assert LOGIN_FAILED in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client, users):
    response = client.post("/login", data={"username": "agent1", "password": PASSWORD})

    assert response.status_code == 400
    assert "فرم پذیرفته نشد" in response.get_data(as_text=True)
    assert client.get("/tickets").status_code == 302


def test_login_redirects_only_to_this_site(client, users):
    token = csrf_token(client, "/login")
    form = {"csrf_token": token, "username": "agent1", "password": PASSWORD}

    response = client.post("/login?next=//evil.example/x", data=form)

    assert response.headers["Location"] == "/tickets"


def test_login_returns_to_the_page_asked_for(client, users):
    first = client.get("/tickets?status=new")
    assert first.status_code == 302
    assert "/login?next=" in first.headers["Location"]

    token = csrf_token(client, first.headers["Location"])
    response = client.post(
        first.headers["Location"],
        data={"csrf_token": token, "username": "agent1", "password": PASSWORD},
    )

    assert response.headers["Location"] == "/tickets?status=new"


def test_logout_needs_post_and_a_csrf_token(agent_client):
    assert agent_client.get("/logout").status_code == 405
    assert agent_client.post("/logout").status_code == 400
    assert agent_client.get("/tickets").status_code == 200

    token = csrf_token(agent_client, "/tickets")
    response = agent_client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert agent_client.get("/tickets").status_code == 302


def test_password_change_ends_older_logins(agent_client, db):
    from sqlalchemy import select

    from ticketing.models import User
    from ticketing.users import set_password

    with session_scope(db) as session:
        user = session.scalar(select(User).where(User.username == "agent1"))
        set_password(session, user, "a-completely-new-password-42")

    assert agent_client.get("/tickets").status_code == 302


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("agent", ["/tickets", "/tickets/feed"], ["/calls", "/closures"]),
        ("supervisor", ["/tickets", "/calls"], ["/closures"]),
        ("admin", ["/tickets", "/calls", "/closures"], []),
    ],
)
def test_roles_nest_agent_supervisor_admin(client, users, role, allowed, refused):
    login(client, users[role])

    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        page = client.get(path)
        assert page.status_code == 403, path
        assert "دسترسی ندارید" in page.get_data(as_text=True)


def test_every_route_but_login_and_static_carries_a_role_check(app):
    unchecked = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and getattr(app.view_functions[rule.endpoint], "required_role", None) is None
    ]

    assert unchecked == []


def test_every_route_sends_an_anonymous_visitor_to_login(app, client, users):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            # POSTs without a token stop at CSRF; GETs go to the login page.
            assert response.status_code in {302, 400}, (method, path)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]


def test_a_view_added_without_role_check_is_refused(settings, db, users):
    from web_console import create_app

    app = create_app(settings)
    app.add_url_rule("/forgotten", "forgotten", lambda: "open")
    client = app.test_client()
    login(client, "admin1")

    assert client.get("/forgotten").status_code == 403


def test_pages_send_a_strict_content_security_policy(agent_client):
    response = agent_client.get("/tickets")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_repeated_failures_throttle_that_username_from_that_address(
    client, users, redis_conn
):
    from web_console.throttle import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        assert login(client, "agent1", "wrong-password").status_code == 401

    blocked = login(client, "agent1")
    other_user = login(client, "super1")

    assert blocked.status_code == 429
    assert "دقیقهٔ دیگر دوباره امتحان کنید" in blocked.get_data(as_text=True)
    assert other_user.status_code == 302


def test_unknown_usernames_are_throttled_the_same_way(client, users, redis_conn):
    from web_console.throttle import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        login(client, "nobody", "wrong-password")

    assert login(client, "nobody", "wrong-password").status_code == 429


def test_a_success_clears_the_failures(client, users, redis_conn):
    from web_console.throttle import MAX_FAILURES

    for _ in range(MAX_FAILURES - 1):
        login(client, "agent1", "wrong-password")
    assert login(client, "agent1").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tickets")})

    for _ in range(MAX_FAILURES - 1):
        login(client, "agent1", "wrong-password")

    assert login(client, "agent1").status_code == 302


def test_login_works_when_redis_is_down(settings, db, users):
    import dataclasses

    from web_console import create_app

    offline = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = create_app(offline).test_client()

    assert login(client, "agent1", "wrong-password").status_code == 401
    assert login(client, "agent1").status_code == 302
