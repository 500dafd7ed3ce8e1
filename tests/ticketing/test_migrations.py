"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from ticketing.migrate import current_revision, upgrade
from ticketing.models import Base


def test_autogenerate_finds_no_difference(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()

    assert differences == []


def test_version_table_lives_in_the_url_schema(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        found = (
            connection.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        tables = set(inspect(connection).get_table_names())
    engine.dispose()

    assert schema.startswith("t_")
    assert schema in found
    assert {"users", "tickets", "calls", "closures"} <= tables


def test_upgrade_twice_is_harmless(database_url):
    upgrade(database_url)

    assert current_revision(database_url) == "0003"


def test_upgrade_on_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    upgrade(url)

    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "tickets", "call_steps", "ticket_history"} <= names
    assert current_revision(url) == "0003"


def test_sqlite_reads_back_aware_utc_times(tmp_path):
    from ticketing.calls import get_call, start_call
    from ticketing.db import session_scope

    url = f"sqlite:///{tmp_path / 'aware.db'}"
    upgrade(url)

    with session_scope(url) as session:
        start_call(session, "1700000400.1", "Local/s@ivr", "09120000000")
    with session_scope(url) as session:
        started = get_call(session, "1700000400.1").started_at

    assert started.utcoffset() is not None
    assert started.utcoffset().total_seconds() == 0
