"""Ticket search: filters, order, paging."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ticketing.search import SearchError, search_tickets
from ticketing.service import change_status, create_callback_request


def _ticket(session, number, description=""):
    ticket = create_callback_request(session, call_id=None, caller_number=number)
    ticket.description = description
    session.flush()
    return ticket


def test_newest_first_and_paging(session):
    tickets = [_ticket(session, f"0912000000{i}") for i in range(5)]

    found = search_tickets(session)
    assert [t.id for t in found] == [t.id for t in reversed(tickets)]

    page = search_tickets(session, limit=2)
    older = search_tickets(session, before_id=page[-1].id, limit=2)
    newer = search_tickets(session, after_id=tickets[2].id)
    assert [t.id for t in page + older] == [t.id for t in reversed(tickets)][:4]
    assert [t.id for t in newer] == [tickets[4].id, tickets[3].id]


def test_status_filter(session):
    first = _ticket(session, "09120000001")
    second = _ticket(session, "09120000002")
    change_status(session, second, "in_progress")

    assert [t.id for t in search_tickets(session, status="new")] == [first.id]
    assert len(search_tickets(session, status=["new", "in_progress"])) == 2
    with pytest.raises(SearchError):
        search_tickets(session, status="lost")


def test_phone_filter_full_and_last_digits(session):
    mine = _ticket(session, "09121234567")
    _ticket(session, "09127654321")

    assert [t.id for t in search_tickets(session, phone="+98 912 123 4567")] == [
        mine.id
    ]
    assert [t.id for t in search_tickets(session, phone="4567")] == [mine.id]
    with pytest.raises(SearchError):
        search_tickets(session, phone="not a phone")


def test_tracking_code_and_text(session):
    mine = _ticket(session, "09121234567", "تمدید گذرنامه 100% فوری")
    _ticket(session, "09121234568", "کارت ملی")

    assert [
        t.id for t in search_tickets(session, tracking_code=mine.tracking_code)
    ] == [mine.id]
    assert [t.id for t in search_tickets(session, text=mine.tracking_code[:6])] == [
        mine.id
    ]
    assert [t.id for t in search_tickets(session, text="گذرنامه")] == [mine.id]
    # LIKE wildcards in the query are plain characters.
    assert [t.id for t in search_tickets(session, text="100%")] == [mine.id]
    assert search_tickets(session, text="_") == []


def test_rows_written_around_the_service_are_found(session):
    ticket = _ticket(session, "09121234567")
    # As if imported by another tool: Arabic letters stored as they came.
    session.execute(
        text("UPDATE tickets SET description = :d WHERE id = :id"),
        {"d": "پيگيري كارت", "id": ticket.id},
    )

    assert [t.id for t in search_tickets(session, text="پیگیری کارت")] == [ticket.id]
