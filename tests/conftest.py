"""Fixtures on the real services: PostgreSQL and Redis on this machine.

Each test session gets its own PostgreSQL schema (so parallel runs on one
server do not meet), built by the project's migrations; each test starts
from empty tables. Redis tests use one database index, flushed before and
after each test.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis as redis_lib
from sqlalchemy import create_engine, text

from callcenter.config import load_settings, use_settings

PG_SERVER = os.environ.get(
    "CALLCENTER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_DB = int(os.environ.get("CALLCENTER_TEST_REDIS_DB", "9"))


def create_schema(prefix: str = "t") -> tuple[str, str]:
    """A new, empty schema; its name and a URL whose search_path is it.
    (bench/ uses it too.)"""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, f"{PG_SERVER}?options=-csearch_path%3D{schema}"


def drop_schema(schema: str) -> None:
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A migrated, empty schema on the machine's PostgreSQL for this session."""
    from ticketing.migrate import upgrade

    schema, url = create_schema()
    upgrade(url)
    yield url
    from ticketing.db import dispose_engines

    dispose_engines()
    drop_schema(schema)


@pytest.fixture
def settings(database_url, tmp_path):
    """Settings pointing at the test schema, a test Redis db and tmp folders."""
    data_dir = tmp_path / "var"
    spool = tmp_path / "spool"
    spool.mkdir()
    current = load_settings(
        environ={
            "CALLCENTER_DATA_DIR": str(data_dir),
            "CALLCENTER_DATABASE_URL": database_url,
            "CALLCENTER_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "CALLCENTER_RECORDING_SPOOL_DIR": str(spool),
            "CALLCENTER_SECRET_KEY": "test-secret",
            "CALLCENTER_SOUND_PREFIX": "callcenter/fa",
            # Waits of 1 s: a test that drives a job to its last retry
            # waits seconds, not the production minutes.
            "CALLCENTER_NOTIFICATION_RETRY_SECONDS": "1,1,1",
            "CALLCENTER_RECORDING_RETRY_SECONDS": "1,1",
        }
    )
    use_settings(current)
    yield current
    use_settings(None)


@pytest.fixture
def db(settings):
    """Empty tables before each test; yields the SQLAlchemy URL."""
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = "
                "current_schema() AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables)
        if names:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return settings.database_url


@pytest.fixture
def session(db):
    from ticketing.db import session_scope

    with session_scope(db) as session:
        yield session


@pytest.fixture
def redis_conn(settings):
    """The test Redis database, flushed before and after the test."""
    connection = redis_lib.Redis.from_url(settings.redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()
