"""Database models: calls and their steps, tickets and their history,
the service catalogue, console users and closures of the center.

Times are stored as aware UTC datetimes; the console and the IVR convert
them to Tehran time and Jalali dates when they show or speak them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from callcenter.jalali import utc_now
from ticketing.workflow import TicketStatus


class Base(DeclarativeBase):
    pass


class UtcDateTime(TypeDecorator):
    """DateTime(timezone=True) that always reads back aware UTC datetimes.

    PostgreSQL does so already; SQLite (the embedded default) stores no zone
    and would hand back naive values that cannot be compared with aware ones.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def _utc_column(**kwargs) -> Mapped[dt.datetime]:
    return mapped_column(UtcDateTime(), **kwargs)


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class CallOutcome(StrEnum):
    """How a call left the IVR. hung_up_in_menu carries the menu in detail;
    abandoned carries the queue given up in, or nothing when the caller hung
    up before any flow ran."""

    IN_PROGRESS = "in_progress"
    SELF_SERVED = "self_served"
    # Handed to a queue; call_ended turns it into answered (detail: the
    # member) or abandoned (detail: the queue) once the call is over.
    QUEUED = "queued"
    ANSWERED = "answered"
    REQUEST_LEFT = "request_left"
    CALLBACK_REQUESTED = "callback_requested"
    ABANDONED = "abandoned"
    # The IVR ended the call without serving it: codes or recordings
    # failed on every try.
    UNSERVED = "unserved"
    HUNG_UP_IN_MENU = "hung_up_in_menu"
    FAILED = "failed"


class TicketKind(StrEnum):
    VOICE_REQUEST = "voice_request"
    CALLBACK = "callback"


class RecordingState(StrEnum):
    NONE = "none"
    PENDING = "pending"
    READY = "ready"
    MISSING = "missing"
    # The file was there but could not be stored (sox refused it) on every
    # try; `worker --requeue-pending` tries again.
    FAILED = "failed"


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.AGENT)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = _utc_column(default=utc_now)
    # Part of the console's login id; a new one (logout, password change,
    # disabling) ends every session made with the old one, server-side.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)


class Service(Base):
    """One entry of the service catalogue, loaded from the admin's file."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    menu_key: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200))
    office_hours: Mapped[str] = mapped_column(Text, default="")
    required_documents: Mapped[str] = mapped_column(Text, default="")
    online_service: Mapped[str] = mapped_column(Text, default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Call(Base):
    """One call through the IVR, keyed by Asterisk's uniqueid."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(200), default="")
    caller_id: Mapped[str | None] = mapped_column(String(32))
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[dt.datetime] = _utc_column(default=utc_now)
    ended_at: Mapped[dt.datetime | None] = _utc_column(nullable=True)
    outcome: Mapped[str] = mapped_column(String(32), default=CallOutcome.IN_PROGRESS)
    outcome_detail: Mapped[str] = mapped_column(String(200), default="")

    steps: Mapped[list[CallStep]] = relationship(
        back_populates="call", order_by="CallStep.seq", cascade="all, delete-orphan"
    )

    @property
    def path(self) -> list[str]:
        """The menus the call went through, in order."""
        return [step.node for step in self.steps if step.kind == "menu"]


class CallStep(Base):
    """One thing that happened in a call: a menu entered, a prompt played,
    a key pressed, a timeout, an action taken. Kept for reports."""

    __tablename__ = "call_steps"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = _utc_column(default=utc_now)
    kind: Mapped[str] = mapped_column(String(20))
    node: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[str] = mapped_column(String(200), default="")

    call: Mapped[Call] = relationship(back_populates="steps")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_caller_number", "caller_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=TicketKind.VOICE_REQUEST)
    status: Mapped[str] = mapped_column(String(24), default=TicketStatus.NEW)
    caller_number: Mapped[str | None] = mapped_column(String(32))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    description: Mapped[str] = mapped_column(Text, default="")

    # The voice message: where Asterisk left it, where it is kept, how long.
    recording_spool_path: Mapped[str] = mapped_column(String(500), default="")
    recording_path: Mapped[str] = mapped_column(String(500), default="")
    recording_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    recording_state: Mapped[str] = mapped_column(
        String(16), default=RecordingState.NONE
    )

    created_at: Mapped[dt.datetime] = _utc_column(default=utc_now)
    status_changed_at: Mapped[dt.datetime] = _utc_column(default=utc_now)

    service: Mapped[Service | None] = relationship()
    call: Mapped[Call | None] = relationship()
    history: Mapped[list[TicketHistory]] = relationship(
        back_populates="ticket",
        order_by="TicketHistory.id",
        cascade="all, delete-orphan",
    )


class TicketHistory(Base):
    """A status change or note on a ticket, with who made it."""

    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = _utc_column(default=utc_now)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    ticket: Mapped[Ticket] = relationship(back_populates="history")
    user: Mapped[User | None] = relationship()


class Closure(Base):
    """The center closed for a stretch of time by an admin's order."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[dt.datetime] = _utc_column()
    ends_at: Mapped[dt.datetime] = _utc_column()
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = _utc_column(default=utc_now)


class NotificationKind(StrEnum):
    TICKET_CREATED = "ticket_created"
    STATUS_CHANGED = "status_changed"


class NotificationState(StrEnum):
    """pending until the job has run; skipped carries its reason in error."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NO_GATEWAY = "no_gateway"
    SKIPPED = "skipped"


class Notification(Base):
    """An SMS to a citizen about their ticket; the text is fixed when the
    event happens, the rq job (ticketing.notifications.notify) sends it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    recipient: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=NotificationState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = _utc_column(default=utc_now)
    sent_at: Mapped[dt.datetime | None] = _utc_column(nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship()
