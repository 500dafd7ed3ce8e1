"""users.session_token: a per-user secret in the console's login id, rotated
on logout, password change and disabling so old session cookies stop working.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_token", sa.String(32), nullable=True))

    # Each existing user gets a token of their own; the database's random
    # functions differ between PostgreSQL and SQLite, so it is done here.
    users = sa.table("users", sa.column("id"), sa.column("session_token"))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_hex(16))
        )

    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_token", existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_token")
