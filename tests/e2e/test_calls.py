"""Calls through the real Asterisk into the product's IVR.

Each call is placed with AMI Originate on a Local channel: the IVR half runs
deploy/asterisk/extensions.conf's [ivr] (FastAGI to `callcenter agi
serve`), the caller half is a scripted citizen (callcenter.sandbox_caller)
who waits for the IVR's AGI commands and then presses keys, plays a WAV
made with espeak-ng + sox, or hangs up. What the call left is read from
the database the IVR wrote to.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from callcenter.sandbox_caller import ScriptedCall
from tests.e2e.conftest import wait_until
from ticketing.calls import add_steps, end_call, get_call, start_call
from ticketing.db import session_scope
from ticketing.models import CallOutcome, RecordingState, Ticket
from ticketing.service import change_status, create_voice_request
from ticketing.workflow import TicketStatus

pytestmark = pytest.mark.e2e

FILER = "09121234567"


def main_menu(settings) -> str:
    return f"STREAM FILE {settings.sound_prefix}/main/menu"


def closed_call(settings, uniqueid: str) -> dict:
    """The call record once call_ended has closed it, with its steps."""

    def read():
        with session_scope(settings.database_url) as session:
            call = get_call(session, uniqueid)
            if call is None or call.ended_at is None:
                return None
            return {
                "id": call.id,
                "ended_at": call.ended_at,
                "outcome": call.outcome,
                "detail": call.outcome_detail,
                "caller_id": call.caller_id,
                "steps": [(step.kind, step.node, step.value) for step in call.steps],
            }

    return wait_until(read, timeout=30, what=f"a closed call record for {uniqueid}")


def prompts_heard(call: dict) -> list[str]:
    return [value for kind, _node, value in call["steps"] if kind == "prompt"]


def soxi_seconds(path: Path) -> float:
    done = subprocess.run(
        ["soxi", "-D", str(path)], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def test_request_call_leaves_ticket_with_recording(product, ami, e2e_settings):
    call = ScriptedCall.place(ami, FILER, name="e2e")
    call.when(main_menu(e2e_settings), "d4")
    # Let the beep pass, speak about four seconds, finish with #.
    call.when("RECORD FILE", "w1|pcallcenter-test/request|d#")
    call.wait_ended(timeout=120)

    record = closed_call(e2e_settings, call.ivr_uniqueid)
    assert record["outcome"] == CallOutcome.REQUEST_LEFT
    assert record["caller_id"] == FILER

    def ticket_with_recording():
        with session_scope(e2e_settings.database_url) as session:
            ticket = session.scalars(
                select(Ticket).where(Ticket.call_id == record["id"])
            ).one_or_none()
            if ticket is None or ticket.recording_state == RecordingState.PENDING:
                return None
            return {
                "code": ticket.tracking_code,
                "state": ticket.recording_state,
                "path": ticket.recording_path,
                "seconds": ticket.recording_seconds,
                "caller": ticket.caller_number,
            }

    ticket = wait_until(ticket_with_recording, timeout=60, what="the worker")
    assert ticket["state"] == RecordingState.READY
    assert ticket["caller"] == FILER
    assert record["detail"] == ticket["code"]

    # The worker moved the WAV out of Asterisk's spool; measure it ourselves.
    recording = Path(ticket["path"])
    assert recording.is_file()
    assert soxi_seconds(recording) > 1.0
    assert ticket["seconds"] == pytest.approx(soxi_seconds(recording), abs=0.1)

    # The code was read back digit by digit, twice.
    digits = [name for name in prompts_heard(record) if name.startswith("digit/")]
    assert digits == 2 * [f"digit/{digit}" for digit in ticket["code"]]


def seed_ticket(settings, status: TicketStatus) -> str:
    """A request filed earlier from FILER, then moved on by an agent."""
    with session_scope(settings.database_url) as session:
        earlier = start_call(session, f"e2e-seed-{status.value}", "seed", FILER)
        ticket = create_voice_request(
            session,
            call_id=earlier.id,
            caller_number=FILER,
            spool_path=f"{settings.recording_spool_dir}/seed-{status.value}.wav",
            seconds=3.0,
        )
        change_status(session, ticket, status, note="مدارک بررسی شد")
        return ticket.tracking_code


@pytest.mark.parametrize(
    ("caller_id", "status"),
    [
        (FILER, TicketStatus.IN_PROGRESS),
        ("02188776655", TicketStatus.WAITING_FOR_CITIZEN),
    ],
    ids=["from-filer-phone", "last-four-digits"],
)
def test_status_call_hears_status_set_by_agent(
    product, ami, e2e_settings, caller_id, status
):
    code = seed_ticket(e2e_settings, status)

    call = ScriptedCall.place(ami, caller_id, name="e2e")
    call.when(main_menu(e2e_settings), "d3")
    call.when("GET DATA", f"d{code}#")
    if caller_id != FILER:
        call.when("GET DATA", "d4567#")
    call.wait_for_command(f"STREAM FILE {e2e_settings.sound_prefix}/status/{status}")
    call.when("WAIT FOR DIGIT", "h")
    call.wait_ended()

    record = closed_call(e2e_settings, call.ivr_uniqueid)
    heard = prompts_heard(record)
    assert f"status/{status}" in heard, heard
    assert ("key", "main", "3") in record["steps"], record["steps"]


def test_hangup_in_main_menu_leaves_closed_call_record(product, ami, e2e_settings):
    call = ScriptedCall.place(ami, FILER, name="e2e")
    call.when(main_menu(e2e_settings), "h")
    call.wait_ended()

    record = closed_call(e2e_settings, call.ivr_uniqueid)
    assert record["ended_at"] is not None
    assert record["outcome"] == CallOutcome.HUNG_UP_IN_MENU
    assert record["detail"] == "main"
    assert record["steps"][0][:2] == ("menu", "main")


def test_queue_without_agents_hands_caller_to_queue_exit(product, ami, e2e_settings):
    call = ScriptedCall.place(ami, FILER, ivr_context="e2e-queue-entry", name="e2e")

    # queue_exit offers a request (1) or a callback (2); take the request.
    call.when(f"STREAM FILE {e2e_settings.sound_prefix}/queue_exit/menu", "d1")
    call.when("RECORD FILE", "w1|pcallcenter-test/request|d#")
    call.wait_ended(timeout=120)

    record = closed_call(e2e_settings, call.ivr_uniqueid)
    assert record["outcome"] == CallOutcome.REQUEST_LEFT
    # The only flow this call ran is queue_exit: Queue() came back without
    # an agent and [ivr-next] handed the caller to it.
    menus = [node for kind, node, _value in record["steps"] if kind == "menu"]
    assert menus[0] == "queue_exit", record["steps"]
    assert "leave_request" in menus


# Queue results ----------------------------------------------------------------
#
# The IVR hands a caller to consultation only in business hours, and the
# agi serve process runs on the real clock (closed on a Friday or at night).
# These calls therefore enter the queue through [e2e-queue-entry], and the
# call record starts as CallContext.hand_off leaves it: "queued", with its
# transfer step (tests/ivr covers hand_off itself). What is tested here is
# Asterisk's part: Queue() with setinterfacevar / setqueueentryvar, and the
# hangup handler passing MEMBERINTERFACE and QEHOLDTIME to call_ended.
# test_in_hours.py takes the IVR's own path there, on a moved clock.

ANSWERING_MEMBER = "Local/agent@e2e-agents"
RINGING_MEMBER = "Local/ringing@e2e-agents"
QUEUE = "consultation"


@contextmanager
def queue_member(ami, sandbox, interface: str):
    """interface in the consultation queue, available, for one test."""
    ami.action("QueueAdd", Queue=QUEUE, Interface=interface, Penalty="0")
    try:
        # The CLI colours its output; compare the bare text.
        shown = re.sub(r"\x1b\[[0-9;]*m", "", sandbox.cli(f"queue show {QUEUE}"))
        member = [line for line in shown.splitlines() if interface in line]
        assert member and "(Not in use)" in member[0], shown
        yield
    finally:
        # The queue must be empty again for the other tests (JOINEMPTY).
        ami.action("QueueRemove", Queue=QUEUE, Interface=interface)


def seed_queued_call(settings, ivr_uniqueid: str) -> None:
    with session_scope(settings.database_url) as session:
        call = start_call(session, ivr_uniqueid, "Local/s@e2e-queue-entry", FILER)
        add_steps(session, call.id, [(None, "transfer", QUEUE, QUEUE)])
        end_call(session, call.id, CallOutcome.QUEUED, QUEUE)


def call_ended_record(settings, uniqueid: str) -> dict:
    """The call record once the hangup handler's call_ended has run (the
    seeded record is already closed, so its ended_at says nothing)."""

    def read():
        with session_scope(settings.database_url) as session:
            call = get_call(session, uniqueid)
            steps = [(step.kind, step.node, step.value) for step in call.steps]
            if ("hangup", "", "call_ended") not in steps:
                return None
            return {"outcome": call.outcome, "detail": call.outcome_detail,
                    "steps": steps}  # fmt: skip

    return wait_until(read, timeout=30, what=f"call_ended for {uniqueid}")


def test_queue_member_answers_and_the_call_ends_answered(
    product, ami, sandbox, e2e_settings
):
    uniqueid = f"e2e-{uuid.uuid4().hex[:12]}"
    seed_queued_call(e2e_settings, f"{uniqueid};2")

    with queue_member(ami, sandbox, ANSWERING_MEMBER):
        call = ScriptedCall.place(
            ami, FILER, ivr_context="e2e-queue-entry", uniqueid=uniqueid
        )
        # The member answers at once, talks two seconds and hangs up.
        call.wait_ended(timeout=60)
        record = call_ended_record(e2e_settings, call.ivr_uniqueid)

    assert record["outcome"] == CallOutcome.ANSWERED
    assert record["detail"] == ANSWERING_MEMBER
    answered = [s for s in record["steps"] if s[:2] == ("action", QUEUE)]
    assert len(answered) == 1, record["steps"]
    assert re.fullmatch(r"answered:\d+", answered[0][2]), answered


def test_caller_who_hangs_up_in_the_queue_ends_abandoned(
    product, ami, sandbox, e2e_settings
):
    uniqueid = f"e2e-{uuid.uuid4().hex[:12]}"
    seed_queued_call(e2e_settings, f"{uniqueid};2")

    with queue_member(ami, sandbox, RINGING_MEMBER):
        since = ami.mark()
        call = ScriptedCall.place(
            ami, FILER, ivr_context="e2e-queue-entry", uniqueid=uniqueid
        )
        # In the queue, the member ringing and never answering: give up.
        ami.wait_for_event(
            lambda e: (
                e.name == "AgentCalled" and e.keys.get("Uniqueid") == call.ivr_uniqueid
            ),
            timeout=30,
            since=since,
        )
        call.hang_up()
        call.wait_ended(timeout=60)
        record = call_ended_record(e2e_settings, call.ivr_uniqueid)

    assert record["outcome"] == CallOutcome.ABANDONED
    assert record["detail"] == QUEUE
    gave_up = [s for s in record["steps"] if s[:2] == ("action", QUEUE)]
    assert len(gave_up) == 1, record["steps"]
    assert re.fullmatch(r"abandoned:\d+", gave_up[0][2]), gave_up
