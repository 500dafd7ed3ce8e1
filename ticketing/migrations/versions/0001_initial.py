"""Initial schema: users, services, calls and steps, tickets and history,
closures.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _utc("created_at"),
    )

    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("menu_key", sa.String(2), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("office_hours", sa.Text(), nullable=False),
        sa.Column("required_documents", sa.Text(), nullable=False),
        sa.Column("online_service", sa.Text(), nullable=False),
        sa.Column("online_url", sa.String(500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uniqueid", sa.String(64), nullable=False, unique=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("caller_id", sa.String(32), nullable=True),
        sa.Column("caller_name", sa.String(200), nullable=False),
        _utc("started_at"),
        _utc("ended_at", nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("outcome_detail", sa.String(200), nullable=False),
    )

    op.create_table(
        "call_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "call_id",
            sa.Integer(),
            sa.ForeignKey("calls.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        _utc("at"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.UniqueConstraint("call_id", "seq"),
    )

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tracking_code", sa.String(16), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("caller_number", sa.String(32), nullable=True),
        sa.Column(
            "service_id", sa.Integer(), sa.ForeignKey("services.id"), nullable=True
        ),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id"), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recording_spool_path", sa.String(500), nullable=False),
        sa.Column("recording_path", sa.String(500), nullable=False),
        sa.Column("recording_seconds", sa.Float(), nullable=False),
        sa.Column("recording_state", sa.String(16), nullable=False),
        _utc("created_at"),
        _utc("status_changed_at"),
    )
    op.create_index("ix_tickets_status_created", "tickets", ["status", "created_at"])
    op.create_index("ix_tickets_caller_number", "tickets", ["caller_number"])

    op.create_table(
        "ticket_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _utc("at"),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )

    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), primary_key=True),
        _utc("starts_at"),
        _utc("ends_at"),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _utc("created_at"),
    )


def downgrade() -> None:
    op.drop_table("closures")
    op.drop_table("ticket_history")
    op.drop_index("ix_tickets_caller_number", table_name="tickets")
    op.drop_index("ix_tickets_status_created", table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("call_steps")
    op.drop_table("calls")
    op.drop_table("services")
    op.drop_table("users")
