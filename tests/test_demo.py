"""The demo's login works even after an admin disabled the demo user."""

from __future__ import annotations

from callcenter.config import load_settings
from callcenter.demo import DEMO_USER, _demo_login
from ticketing.db import session_scope
from ticketing.migrate import upgrade
from ticketing.users import authenticate, get_user, set_active


def test_demo_login_enables_a_disabled_demo_user(tmp_path):
    settings = load_settings(environ={"CALLCENTER_DATA_DIR": str(tmp_path)})
    upgrade(settings.sqlalchemy_url)
    _demo_login(settings)
    with session_scope(settings.sqlalchemy_url) as session:
        set_active(session, get_user(session, DEMO_USER), False)

    password = _demo_login(settings)

    with session_scope(settings.sqlalchemy_url) as session:
        assert authenticate(session, DEMO_USER, password) is not None
