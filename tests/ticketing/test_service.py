"""The ticket service on PostgreSQL: creation, workflow, notes, status check."""

from __future__ import annotations

import pytest

from ticketing import service as ticket_service
from ticketing.calls import start_call
from ticketing.models import RecordingState, TicketKind
from ticketing.service import (
    TicketError,
    add_note,
    caller_may_hear_status,
    change_status,
    create_callback_request,
    create_voice_request,
    find_by_tracking_code,
)
from ticketing.tracking import is_valid_tracking_code
from ticketing.users import create_user
from ticketing.workflow import IllegalTransition, TicketStatus


@pytest.fixture
def call(session):
    return start_call(session, "1700000100.1", "Local/s@ivr", "09121112233", "")


def _voice(session, call, number="09121112233"):
    return create_voice_request(
        session,
        call_id=call.id,
        caller_number=number,
        spool_path="/var/spool/asterisk/callcenter/1700000100.1-1.wav",
        seconds=3.2,
    )


def test_voice_request_is_new_pending_with_history(session, call):
    ticket = _voice(session, call, number="+98 912 111 2233")

    assert ticket.kind == TicketKind.VOICE_REQUEST
    assert ticket.status == TicketStatus.NEW
    assert ticket.recording_state == RecordingState.PENDING
    assert ticket.recording_seconds == pytest.approx(3.2)
    assert ticket.caller_number == "09121112233"
    assert ticket.call_id == call.id
    assert is_valid_tracking_code(ticket.tracking_code)
    assert [(h.from_status, h.to_status) for h in ticket.history] == [(None, "new")]


def test_voice_request_from_an_unknown_number(session, call):
    ticket = _voice(session, call, number="anonymous")

    assert ticket.caller_number is None


def test_voice_request_needs_a_recording(session, call):
    with pytest.raises(TicketError):
        create_voice_request(
            session, call_id=call.id, caller_number=None, spool_path="", seconds=2
        )
    with pytest.raises(TicketError):
        create_voice_request(
            session, call_id=call.id, caller_number=None, spool_path="/x", seconds=-1
        )
    with pytest.raises(TicketError, match="service"):
        create_voice_request(
            session,
            call_id=call.id,
            caller_number=None,
            spool_path="/x",
            seconds=1,
            service_id=999,
        )


def test_tracking_code_collision_draws_again(session, call, monkeypatch):
    first = _voice(session, call)
    taken = first.tracking_code
    fresh = "1234567890"
    while not is_valid_tracking_code(fresh):
        fresh = fresh[:9] + str((int(fresh[9]) + 1) % 10)
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr(ticket_service, "new_tracking_code", lambda: next(draws))

    second = _voice(session, call)

    assert second.tracking_code == fresh
    assert second.id != first.id


def test_tracking_code_collisions_without_end_are_an_error(session, call, monkeypatch):
    taken = _voice(session, call).tracking_code
    monkeypatch.setattr(ticket_service, "new_tracking_code", lambda: taken)

    with pytest.raises(TicketError, match="tracking code"):
        _voice(session, call)


def test_callback_needs_a_number(session, call):
    ticket = create_callback_request(
        session, call_id=call.id, caller_number="۰۹۱۲۱۱۱۲۲۳۳"
    )

    assert ticket.kind == TicketKind.CALLBACK
    assert ticket.recording_state == RecordingState.NONE
    assert ticket.caller_number == "09121112233"
    with pytest.raises(TicketError, match="phone"):
        create_callback_request(session, call_id=call.id, caller_number="anonymous")


def test_find_by_tracking_code_in_persian_digits(session, call):
    ticket = _voice(session, call)
    persian = ticket.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    assert find_by_tracking_code(session, persian).id == ticket.id
    wrong = ticket.tracking_code[:9] + str((int(ticket.tracking_code[9]) + 1) % 10)
    assert find_by_tracking_code(session, wrong) is None
    assert find_by_tracking_code(session, "") is None


def test_change_status_follows_the_workflow(session, call):
    agent = create_user(session, "agent1", "a-long-password", "agent")
    ticket = _voice(session, call)
    before = ticket.status_changed_at

    entry = change_status(session, ticket, "in_progress", user=agent, note="بررسي شد")

    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.status_changed_at >= before
    assert entry.from_status == "new" and entry.to_status == "in_progress"
    assert entry.user_id == agent.id
    assert entry.note == "بررسی شد"

    change_status(session, ticket, TicketStatus.RESOLVED)
    change_status(session, ticket, TicketStatus.CLOSED)
    with pytest.raises(IllegalTransition):
        change_status(session, ticket, TicketStatus.IN_PROGRESS)
    assert ticket.status == TicketStatus.CLOSED
    assert len(ticket.history) == 4


def test_unknown_status_is_illegal(session, call):
    ticket = _voice(session, call)

    with pytest.raises(IllegalTransition):
        change_status(session, ticket, "lost")


def test_add_note_keeps_status(session, call):
    ticket = _voice(session, call)

    entry = add_note(session, ticket, "  با شهروند تماس گرفته شد  ", None)

    assert entry.from_status == entry.to_status == "new"
    assert entry.note == "با شهروند تماس گرفته شد"
    with pytest.raises(TicketError):
        add_note(session, ticket, "   ", None)


def test_caller_may_hear_status(session, call):
    ticket = _voice(session, call)

    assert caller_may_hear_status(ticket, "09121112233")
    assert caller_may_hear_status(ticket, "+989121112233")
    assert caller_may_hear_status(ticket, "۰۹۱۲۱۱۱۲۲۳۳")
    assert not caller_may_hear_status(ticket, "09129999999")
    assert not caller_may_hear_status(ticket, None)
    assert caller_may_hear_status(ticket, "09129999999", last_four="2233")
    assert caller_may_hear_status(ticket, None, last_four="۲۲۳۳")
    assert not caller_may_hear_status(ticket, None, last_four="2234")
    assert not caller_may_hear_status(ticket, None, last_four="233")


def test_anonymous_ticket_status_is_never_read(session, call):
    ticket = _voice(session, call, number=None)

    assert not caller_may_hear_status(ticket, None, last_four="0000")
    assert not caller_may_hear_status(ticket, "09121112233")


def test_ticket_log_lines_carry_the_call_uniqueid(session, call, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="ticketing.service"):
        ticket = _voice(session, call)
        change_status(session, ticket, TicketStatus.IN_PROGRESS)

    lines = [r.getMessage() for r in caplog.records if r.name == "ticketing.service"]
    assert len(lines) == 2
    assert all(line.startswith("call 1700000100.1: ticket ") for line in lines)


def test_open_callback_of_a_number(session, call):
    from ticketing.service import open_callback_for

    assert open_callback_for(session, "09121112233") is None
    first = create_callback_request(
        session, call_id=call.id, caller_number="۰۹۱۲۱۱۱۲۲۳۳"
    )

    assert open_callback_for(session, "+989121112233") is first
    change_status(session, first, TicketStatus.IN_PROGRESS)
    assert open_callback_for(session, "09121112233") is first
    change_status(session, first, TicketStatus.RESOLVED)
    assert open_callback_for(session, "09121112233") is None
    assert open_callback_for(session, None) is None


def test_set_caller_number_normalizes_and_keeps_history(session, call):
    from ticketing.service import set_caller_number

    ticket = _voice(session, call, number=None)
    set_caller_number(session, ticket, "۰۹۱۲ ۵۵۵ ۱۲۳۴")

    assert ticket.caller_number == "09125551234"
    assert caller_may_hear_status(ticket, None, "1234")
    assert len(ticket.history) == 2
    with pytest.raises(TicketError):
        set_caller_number(session, ticket, "nonsense")


def test_two_simultaneous_callbacks_from_one_number_make_one_ticket(db, monkeypatch):
    import threading
    import time

    from sqlalchemy import func, select

    from ticketing.db import session_scope
    from ticketing.models import Ticket

    # Widen the gap between the check and the insert, where a race hides.
    find = ticket_service.open_callback_for

    def slow_find(session, number):
        found = find(session, number)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(ticket_service, "open_callback_for", slow_find)
    start = threading.Barrier(2)
    made = []

    def call_in():
        start.wait()
        with session_scope(db) as session:
            ticket, is_new = ticket_service.callback_request_for(
                session, call_id=None, caller_number="09127770011"
            )
            made.append((ticket.tracking_code, is_new))

    threads = [threading.Thread(target=call_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(is_new for _, is_new in made) == [False, True]
    assert made[0][0] == made[1][0]
    with session_scope(db) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.caller_number == "09127770011")
        )
    assert count == 1
