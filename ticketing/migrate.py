"""Bring a database to the newest schema with the migrations in this package.

`upgrade(url)` runs Alembic's `upgrade head` without an alembic.ini, so it
works from the CLI, the tests and an installed package alike. A PostgreSQL
URL may name a schema through `?options=-csearch_path%3D<schema>`; the
tables and `alembic_version` are then made in that schema.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from callcenter.config import get_settings

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for this package's migrations and `url`."""
    url = url or get_settings().sqlalchemy_url
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The URL goes through attributes, not the ini options: those treat "%"
    # (as in search_path%3D) as interpolation.
    config.attributes["url"] = url
    return config


def upgrade(url: str | None = None) -> None:
    """Run every migration not yet applied to the database at `url`."""
    config = alembic_config(url)

    # SQLite creates the file but not its folder; a newcomer's data_dir
    # does not exist before the first upgrade.
    target = make_url(config.attributes["url"])
    if target.get_backend_name() == "sqlite" and target.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(target.database).parent.mkdir(parents=True, exist_ok=True)

    logger.info("upgrading database schema to head")
    command.upgrade(config, "head")


def current_revision(url: str | None = None) -> str | None:
    """The revision the database at `url` is at, None when never migrated."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url or get_settings().sqlalchemy_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
