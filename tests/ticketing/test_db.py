"""The embedded SQLite default keeps transactions whole, as PostgreSQL does."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing.db import session_scope
from ticketing.migrate import upgrade
from ticketing.models import Service


def test_sqlite_savepoint_release_does_not_commit_the_outer_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}"
    upgrade(url)

    with session_scope(url) as session:
        with session.begin_nested():
            session.add(Service(code="passport", menu_key="1", name="گذرنامه"))
        session.rollback()

    with session_scope(url) as session:
        assert session.scalars(select(Service)).all() == []


def test_sqlite_rolls_back_a_failed_savepoint_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'callcenter.db'}"
    upgrade(url)

    with session_scope(url) as session:
        session.add(Service(code="tax", menu_key="2", name="مالیات"))
        try:
            with session.begin_nested():
                session.add(Service(code="tax", menu_key="3", name="تکراری"))
                session.flush()
        except IntegrityError:
            pass  # the duplicate code is the point

    with session_scope(url) as session:
        codes = session.scalars(select(Service.code)).all()
    assert codes == ["tax"]
