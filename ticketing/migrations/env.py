"""Alembic environment: online migrations on the URL `ticketing.migrate` gives.

No schema is named anywhere here on purpose: on PostgreSQL every table,
including alembic_version, lands in the first schema of the connection's
search_path, which a URL can set with `options=-csearch_path%3D<schema>`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from ticketing.models import Base

target_metadata = Base.metadata


def _url() -> str:
    url = context.config.attributes.get("url")
    if url:
        return url
    from callcenter.config import get_settings

    return get_settings().sqlalchemy_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
