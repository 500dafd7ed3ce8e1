"""One database session per request, closed when the request ends.

Views read through db_session() and commit themselves when they write, so
a view that fails half way leaves nothing behind.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from callcenter.config import Settings
from ticketing.db import get_engine


def init_app(app: Flask, settings: Settings) -> None:
    engine = get_engine(settings.sqlalchemy_url)
    app.extensions["callcenter_sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["callcenter_sessions"]()
    return g.db_session


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def settings() -> Settings:
    """The settings the application was built with."""
    return current_app.extensions["callcenter_settings"]
