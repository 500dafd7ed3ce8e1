"""A caller may hang up at any moment: at every AGI command of every flow
the flow ends cleanly, the call record is closed with an outcome, and a
request whose audio reached a second is kept as a ticket."""

from __future__ import annotations

import logging

import pytest

from ticketing.models import CallOutcome, TicketKind
from ticketing.service import create_voice_request

from .conftest import AFTER_HOURS, CALLER, make_wav

OTHER_PHONE = "09359998877"
# First words of the commands Asterisk serves on a dead channel, and the
# AGI transport's CHANNEL STATUS probe that tells a hangup from a failure.
DEAD_OK = {"GET", "SET", "VERBOSE", "NOOP", "DATABASE", "CHANNEL"}


def _code(ivr_server) -> str:
    with ivr_server.session() as session:
        ticket = create_voice_request(
            session,
            call_id=None,
            caller_number=CALLER,
            spool_path="/spool/earlier.wav",
            seconds=3.0,
        )
        session.flush()
        return ticket.tracking_code


def scenario(name: str, ivr_server) -> dict:
    """One way through a flow, ending without a hangup of the caller."""
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2.5)
    if name == "main_to_operator":
        return {"flow": "main", "keys": ["wait", "7", "0"]}
    if name == "service_info":
        return {"flow": "main", "keys": ["1", "2", "wait", "wait", "wait"]}
    if name == "consultation":
        return {"flow": "main", "keys": ["2"]}
    if name == "closed_then_callback":
        ivr_server.at(AFTER_HOURS)
        return {"flow": "main", "keys": ["2", "2"]}
    if name == "status_lookup":
        code = _code(ivr_server)
        return {"flow": "main", "keys": ["3", f"{code}#", "9", "0"]}
    if name == "status_last_four":
        code = _code(ivr_server)
        return {
            "flow": "status_lookup",
            "keys": [f"{code}#", f"{CALLER[-4:]}#", "wait", "wait", "wait"],
            "caller": OTHER_PHONE,
        }
    if name == "leave_request":
        return {"flow": "main", "keys": ["4", f"record:{wav}", "#"]}
    if name == "queue_exit":
        return {
            "flow": "queue_exit",
            "keys": ["wait", "wait", "wait", f"record:{wav}", "#"],
        }
    if name == "queue_exit_key":
        return {"flow": "queue_exit", "keys": [f"record:{wav}", "#"], "args": ("1",)}
    raise AssertionError(name)


SCENARIOS = [
    "main_to_operator",
    "service_info",
    "consultation",
    "closed_then_callback",
    "status_lookup",
    "status_last_four",
    "leave_request",
    "queue_exit",
    "queue_exit_key",
]


@pytest.mark.parametrize("hangup_form", ["reply", "line"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_hangup_at_every_step(ivr_server, caplog, name, hangup_form):
    plan = scenario(name, ivr_server)
    keys = plan.pop("keys")
    flow = plan.pop("flow")

    whole = ivr_server.dial(flow, keys, **plan)
    assert not whole.simulated.caller_hung_up, whole.simulated.summary()
    length = len(whole.commands)
    assert length >= 3

    caplog.set_level(logging.INFO)
    for hangup_at in range(1, length + 1):
        caplog.clear()
        heard = ivr_server.dial(
            flow, keys, hangup_at=hangup_at, hangup_form=hangup_form, **plan
        )
        where = f"{name}: hangup at command {hangup_at} of {length}"

        assert heard.simulated.caller_hung_up, where
        assert heard.call is not None, where
        assert heard.call.ended_at is not None, where
        assert heard.call.outcome != CallOutcome.IN_PROGRESS, where
        assert heard.steps[-1][0] == "hangup", where
        if heard.call.outcome == CallOutcome.HUNG_UP_IN_MENU:
            assert heard.call.outcome_detail == heard.path[-1], where

        # Nothing the dead channel refuses was sent after the hangup.
        later = heard.simulated.commands_after_hangup()
        assert all(line.split()[0] in DEAD_OK for line in later), f"{where}: {later}"
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [], f"{where}: {errors[0].getMessage()}"

        captured = any(r.samples >= 8000 for r in heard.simulated.recordings)
        voice = [t for t in heard.tickets if t.kind == TicketKind.VOICE_REQUEST]
        assert len(voice) == (1 if captured else 0), where
        if captured:
            assert heard.call.outcome == CallOutcome.REQUEST_LEFT, where


def test_the_hangup_step_says_who_hung_up(ivr_server):
    short = make_wav(ivr_server.tmp_path / "short.wav", 0.4)
    good = make_wav(ivr_server.tmp_path / "good.wav", 2)

    by_caller = ivr_server.dial("leave_request", [f"record:{short}"])
    # After the tracking code the IVR says goodbye and hangs up.
    by_ivr = ivr_server.dial("leave_request", [f"record:{good}", "#"])

    assert by_caller.steps[-1][0] == "hangup"
    assert by_caller.steps[-1][2] == "caller"
    assert by_ivr.steps[-1][0] == "hangup"
    assert by_ivr.steps[-1][2] == "ivr"
