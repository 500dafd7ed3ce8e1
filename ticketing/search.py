"""Finding tickets for the console: by text, status, phone or tracking code.

Text matches the description, the service name, the notes of the ticket's
history, the caller's name from the call record and the start of the
tracking code.

Inputs go through the one normalizer, and stored text was normalized when it
was saved, so a search typed on an Arabic keyboard (ي ك, Arabic-Indic digits)
finds what a Persian keyboard wrote, and the other way round. Rows written by
something other than the ticket service are covered too: the text columns
are compared with their Arabic ye/kaf folded to Persian in the query.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from callcenter.persian import normalize_phone, normalize_text
from ticketing.models import Call, Service, Ticket, TicketHistory
from ticketing.tracking import normalize_tracking_code
from ticketing.workflow import TicketStatus

MAX_LIMIT = 500

# A phone query this long is a whole number; shorter ones match the end
# (agents often have only the last digits a citizen read out).
FULL_PHONE_DIGITS = 10


class SearchError(ValueError):
    """A search filter that cannot mean anything."""


def _folded(column) -> ColumnElement:
    """The column with Arabic ye/kaf as Persian ones (PostgreSQL and SQLite)."""
    return func.replace(func.replace(column, "ي", "ی"), "ك", "ک")


def _statuses(status: str | Iterable[str] | None) -> list[str]:
    if status is None or status == "":
        return []
    wanted = [status] if isinstance(status, str) else list(status)
    try:
        return [TicketStatus(value).value for value in wanted]
    except ValueError:
        raise SearchError(f"unknown status in {wanted!r}") from None


def _phone_filter(phone: str) -> ColumnElement:
    try:
        number = normalize_phone(phone)
    except ValueError as error:
        raise SearchError(str(error)) from None

    if len(number) >= FULL_PHONE_DIGITS:
        return Ticket.caller_number == number
    return Ticket.caller_number.endswith(number, autoescape=True)


def search_tickets(
    session: Session,
    *,
    text: str | None = None,
    status: str | Iterable[str] | None = None,
    phone: str | None = None,
    tracking_code: str | None = None,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
    oldest_first: bool = False,
) -> list[Ticket]:
    """Tickets matching every filter given, newest first (oldest first with
    oldest_first, for working the backlog first-in first-out).

    after_id returns only tickets newer than that id (for a page that polls
    for new tickets, or the next page of an oldest-first list); before_id
    pages back through older ones.
    """
    query = select(Ticket).options(
        selectinload(Ticket.service), selectinload(Ticket.call)
    )

    words = normalize_text(text)
    if words:
        query = query.outerjoin(Service, Ticket.service_id == Service.id)
        query = query.outerjoin(Call, Ticket.call_id == Call.id)
        in_notes = exists().where(
            TicketHistory.ticket_id == Ticket.id,
            _folded(TicketHistory.note).icontains(words, autoescape=True),
        )
        matches = [
            _folded(Ticket.description).icontains(words, autoescape=True),
            _folded(Service.name).icontains(words, autoescape=True),
            _folded(Call.caller_name).icontains(words, autoescape=True),
            in_notes,
        ]
        # A code written with separators (202-132) still matches its start;
        # separators alone ("-") are no code and must not match every one.
        code = normalize_tracking_code(words)
        if code:
            matches.append(Ticket.tracking_code.startswith(code, autoescape=True))
        query = query.where(or_(*matches))

    statuses = _statuses(status)
    if statuses:
        query = query.where(Ticket.status.in_(statuses))

    if phone is not None and phone.strip():
        query = query.where(_phone_filter(phone))

    if tracking_code is not None and tracking_code.strip():
        query = query.where(
            Ticket.tracking_code == normalize_tracking_code(tracking_code)
        )

    if after_id is not None:
        query = query.where(Ticket.id > after_id)
    if before_id is not None:
        query = query.where(Ticket.id < before_id)

    limit = max(1, min(int(limit), MAX_LIMIT))
    # Ids grow with creation, so they order by age and page without gaps.
    order = Ticket.id.asc() if oldest_first else Ticket.id.desc()
    query = query.order_by(order).limit(limit)
    return list(session.scalars(query))
