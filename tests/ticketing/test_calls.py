"""Call records on PostgreSQL: start, resume, steps, end."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from ticketing.calls import (
    add_steps,
    end_call,
    get_call,
    record_call_end,
    start_call,
)
from ticketing.db import session_scope
from ticketing.models import CallOutcome


def test_start_call_normalizes_and_resumes_the_same_row(session):
    call = start_call(session, "1700000000.1", "PJSIP/trunk-0001", "۰۹۱۲۳۴۵۶۷۸۹", "علي")
    again = start_call(session, "1700000000.1", "PJSIP/trunk-0001", "09123456789", "")

    assert again.id == call.id
    assert call.caller_id == "09123456789"
    assert call.caller_name == "علی"
    assert call.outcome == CallOutcome.IN_PROGRESS
    assert get_call(session, "1700000000.1").id == call.id


def test_anonymous_caller_id_is_kept_as_none(session):
    call = start_call(session, "1700000000.2", "Local/s@ivr", "anonymous", "")

    assert call.caller_id is None


def test_start_call_needs_a_uniqueid(session):
    with pytest.raises(ValueError):
        start_call(session, " ", "", None, "")


def test_a_second_session_resumes_a_committed_call(db):
    with session_scope(db) as first:
        call_id = start_call(first, "1700000000.3", "Local/s@ivr", "09120000000").id
        end_call(first, call_id, CallOutcome.QUEUED, "consultation")

    with session_scope(db) as second:
        call = start_call(second, "1700000000.3", "Local/s@ivr", "09120000000")
        assert call.id == call_id
        assert call.ended_at is None  # resumed after the queue
        assert call.outcome == CallOutcome.QUEUED


def test_steps_are_numbered_in_order_across_batches(session):
    call = start_call(session, "1700000000.4", "Local/s@ivr", None, "")
    t0 = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)

    add_steps(
        session,
        call.id,
        [(t0, "menu", "main", ""), (t0, "prompt", "main", "main/greeting")],
    )
    add_steps(
        session, call.id, [(None, "key", "main", "3"), (None, "menu", "status", "")]
    )
    session.expire_all()

    call = get_call(session, "1700000000.4")
    assert [step.seq for step in call.steps] == [1, 2, 3, 4]
    assert call.path == ["main", "status"]
    assert call.steps[1].value == "main/greeting"
    assert call.steps[0].at == t0


def test_unknown_step_kind_is_refused(session):
    call = start_call(session, "1700000000.5", "", None, "")

    with pytest.raises(ValueError, match="kind"):
        add_steps(session, call.id, [(None, "dance", "main", "")])


def test_end_call_keeps_the_first_end_unless_given(session):
    call = start_call(session, "1700000000.6", "", None, "")
    first_end = dt.datetime(2026, 12, 5, 6, 1, tzinfo=dt.UTC)
    hangup = dt.datetime(2026, 12, 5, 6, 9, tzinfo=dt.UTC)

    end_call(session, call.id, CallOutcome.QUEUED, "consultation", ended_at=first_end)
    end_call(session, call.id, CallOutcome.REQUEST_LEFT)
    assert call.ended_at == first_end
    assert call.outcome == CallOutcome.REQUEST_LEFT

    end_call(session, call.id, CallOutcome.REQUEST_LEFT, ended_at=hangup)
    assert call.ended_at == hangup


def test_closing_a_call_again_as_it_was_is_not_logged_at_info(session, caplog):
    call = start_call(session, "1700000000.8", "", None, "")
    caplog.set_level(logging.INFO, logger="ticketing.calls")

    end_call(session, call.id, CallOutcome.SELF_SERVED, "service_info")
    end_call(session, call.id, CallOutcome.SELF_SERVED, "service_info")
    end_call(session, call.id, CallOutcome.ANSWERED, "PJSIP/101")

    ended = [r.getMessage() for r in caplog.records if "call ended" in r.message]
    assert ended == [
        "call 1700000000.8: call ended: self_served service_info",
        "call 1700000000.8: call ended: answered PJSIP/101",
    ]


def test_end_call_refuses_in_progress_and_unknown(session):
    call = start_call(session, "1700000000.7", "", None, "")

    with pytest.raises(ValueError):
        end_call(session, call.id, CallOutcome.IN_PROGRESS)
    with pytest.raises(ValueError):
        end_call(session, call.id, "vanished")


def test_record_call_end_writes_the_last_steps_and_the_outcome(session):
    call = start_call(session, "1700000000.8", "", None, "")

    record_call_end(
        session,
        call.id,
        [(None, "hangup", "main", "caller")],
        CallOutcome.HUNG_UP_IN_MENU,
        "main",
    )

    assert [(s.kind, s.value) for s in call.steps] == [("hangup", "caller")]
    assert call.outcome == CallOutcome.HUNG_UP_IN_MENU
    assert call.ended_at is not None


def test_two_sessions_racing_to_start_one_call_share_the_row(db):
    import threading

    results = {}
    with session_scope(db) as first:
        mine = start_call(first, "1700000000.10", "Local/s@ivr", None, "")
        first.flush()

        # The second insert waits on the unique index until the first commits.
        def second_session():
            with session_scope(db) as second:
                results["id"] = start_call(second, "1700000000.10", "", None, "").id

        racer = threading.Thread(target=second_session)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()
        my_id = mine.id

    racer.join(timeout=10)
    assert results["id"] == my_id
