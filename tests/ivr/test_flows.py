"""Every flow driven through the AGI simulator against the FastAGI server."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from callcenter.jalali import jalali_parts
from ivr.flows.status_lookup import CODE_DIGITS
from ivr.speak import date_fragments, digit_fragments
from ticketing.hours import add_closure
from ticketing.models import CallOutcome, Ticket, TicketKind
from ticketing.service import change_status, create_voice_request
from ticketing.tracking import is_valid_tracking_code
from ticketing.workflow import TicketStatus

from .conftest import AFTER_HOURS, CALLER, HOLIDAY, OPEN, WEEKEND, make_wav

pytestmark = pytest.mark.usefixtures("ivr_server")


def ticket_for(ivr_server, caller=CALLER, status=TicketStatus.NEW, changed=None):
    """A voice request filed earlier from caller, optionally moved on."""
    with ivr_server.session() as session:
        ticket = create_voice_request(
            session,
            call_id=None,
            caller_number=caller,
            spool_path="/spool/earlier.wav",
            seconds=4.0,
        )
        session.flush()
        if status != TicketStatus.NEW:
            change_status(session, ticket, status, note="بررسی شد")
        if changed is not None:
            ticket.status_changed_at = changed
        return ticket.tracking_code


def wrong_check_digit(code: str) -> str:
    last = str((int(code[-1]) + 1) % 10)
    wrong = code[:-1] + last
    assert not is_valid_tracking_code(wrong)
    return wrong


# Main menu -------------------------------------------------------------------


def test_greeting_and_main_menu_then_hangup(ivr_server):
    heard = ivr_server.dial("main", [])

    assert heard.prompts[:2] == ["main/greeting", "main/menu"]
    assert heard.call.outcome == CallOutcome.HUNG_UP_IN_MENU
    assert heard.call.outcome_detail == "main"
    assert heard.call.ended_at is not None
    assert heard.path == ["main"]


def test_star_repeats_the_menu_without_the_greeting(ivr_server):
    heard = ivr_server.dial("main", ["wait", "*", "hangup"])

    assert heard.prompts == [
        "main/greeting",
        "main/menu",
        "menu/timeout",
        "main/menu",
        "main/menu",
    ]


def test_star_repeats_a_menu_only_so_often(ivr_server):
    from ivr.choice import MAX_REPEATS

    heard = ivr_server.dial("main", ["*"] * 30 + ["hangup"])

    # The greeting and MAX_REPEATS menus are cut by `*`; after that a `*` is
    # a wrong key, and wrong keys use up the tries.
    assert heard.prompts.index("menu/invalid") == 1 + MAX_REPEATS
    assert heard.prompts.count("menu/invalid") == 2
    assert "menu/last_invalid" in heard.prompts


def test_timeouts_and_wrong_keys_then_operator_in_hours(ivr_server):
    heard = ivr_server.dial("main", ["wait", "7", "wait"])

    # The last try is not followed by "please choose again" but by what
    # happens next.
    assert heard.prompts.count("menu/timeout") == 1
    assert heard.prompts.count("menu/invalid") == 1
    assert heard.prompts[-4:] == [
        "main/menu",
        "menu/last_timeout",
        "menu/next_operator",
        "operator/to_queue",
    ]
    assert heard.variables["IVR_NEXT"] == "queue"
    assert heard.variables["IVR_QUEUE"] == "operator"
    assert heard.call.outcome == CallOutcome.QUEUED
    kinds = [kind for kind, _, _ in heard.steps]
    assert kinds.count("timeout") == 2
    assert kinds.count("invalid") == 1


def test_a_wrong_key_during_the_menu_prompt_is_answered_at_once(ivr_server):
    heard = ivr_server.dial("main", ["7", "wait"])

    # Every key interrupts the menu, so 7 is heard as wrong right away,
    # not dropped by Asterisk and later announced as "no key pressed".
    menu = [
        c
        for c in heard.commands
        if c.startswith("STREAM FILE") and c.split()[2].endswith("main/menu")
    ]
    assert all('"0123456789*#"' in command for command in menu), menu
    # The simulator hands 7 to the first prompt that listens: the greeting.
    assert heard.prompts[:2] == ["main/greeting", "menu/invalid"]


def test_last_retry_out_of_hours_offers_a_request_instead_of_a_drop(ivr_server):
    ivr_server.at(AFTER_HOURS)
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2.5)

    heard = ivr_server.dial("main", ["wait", "wait", "wait", f"record:{wav}", "#"])

    assert "request/intro" in heard.prompts
    assert "IVR_QUEUE" not in heard.variables
    assert heard.call.outcome == CallOutcome.REQUEST_LEFT
    assert len(heard.tickets) == 1


def test_zero_reaches_the_operator(ivr_server):
    heard = ivr_server.dial("main", ["0"])

    assert heard.variables["IVR_QUEUE"] == ivr_server.settings.operator_queue
    assert heard.path == ["main", "operator"]


def test_zero_reaches_the_operator_from_a_menu_without_it(ivr_server):
    heard = ivr_server.dial("queue_exit", ["0"])

    assert heard.variables["IVR_QUEUE"] == "operator"


def test_unknown_flow_name_gets_the_main_menu(ivr_server):
    heard = ivr_server.dial("no_such_flow", [])

    assert heard.prompts[0] == "main/greeting"


# Service information -----------------------------------------------------------


def test_service_information(ivr_server):
    heard = ivr_server.dial("main", ["1", "2", "9", "hangup"])

    # Each key cuts the prompt it was pressed in.
    assert heard.prompts[:2] == ["main/greeting", "service_info/choose"]
    i = heard.prompts.index("service/national-id-card/hours")
    assert heard.prompts[i : i + 3] == [
        "service/national-id-card/hours",
        "service/national-id-card/documents",
        "service/national-id-card/online",
    ]
    assert heard.path == ["main", "service_info", "after_service", "main"]
    # Back in the main menu, the greeting is not said again.
    assert heard.prompts.count("main/greeting") == 1


def test_silence_after_service_information_says_goodbye(ivr_server):
    heard = ivr_server.dial("service_info", ["4", "wait", "wait", "wait"])

    assert "service/tax/hours" in heard.prompts
    assert heard.prompts[-1] == "general/goodbye"
    assert heard.call.outcome == CallOutcome.SELF_SERVED
    assert "HANGUP" in heard.commands


def test_wrong_service_key(ivr_server):
    heard = ivr_server.dial("service_info", ["8", "1", "hangup"])

    assert "menu/invalid" in heard.prompts
    assert "service/passport/hours" in heard.prompts


# Consultation, operator, hours -----------------------------------------------


def test_consultation_in_hours_goes_to_the_queue(ivr_server):
    heard = ivr_server.dial("main", ["2"])

    assert heard.prompts[-1] == "consultation/to_queue"
    assert heard.variables == {"IVR_NEXT": "queue", "IVR_QUEUE": "consultation"}
    assert heard.call.outcome == CallOutcome.QUEUED
    assert heard.call.outcome_detail == "consultation"


@pytest.mark.parametrize(
    ("moment", "reason"),
    [(AFTER_HOURS, "after_hours"), (WEEKEND, "weekend"), (HOLIDAY, "holiday")],
)
def test_consultation_closed_says_why_and_offers_a_request(ivr_server, moment, reason):
    ivr_server.at(moment)

    heard = ivr_server.dial("consultation", [])

    # Why, then the working hours of the settings (07:30 to 14:30) spoken
    # from fragments, then the offer.
    assert heard.prompts[:12] == [
        f"hours/closed_{reason}",
        "hours/working_days_from",
        "number/7",
        "number/and",
        "number/30",
        "time/minutes",
        "hours/until",
        "number/14",
        "number/and",
        "number/30",
        "time/minutes",
        "hours/working_hours_end",
    ]
    assert heard.prompts[12] == "closed_offer/menu"
    assert "IVR_NEXT" not in heard.variables
    assert ("action", "consultation", f"closed:{reason}") in heard.steps


def test_working_hours_name_thursday_when_it_opens(ivr_server):
    import dataclasses

    from callcenter.config import use_settings

    use_settings(
        dataclasses.replace(
            ivr_server.settings,
            opening_time="08:00",
            closing_time="16:00",
            thursday_open=True,
            thursday_closing_time="12:00",
        )
    )
    ivr_server.at(AFTER_HOURS)

    heard = ivr_server.dial("consultation", [])

    assert heard.prompts[:8] == [
        "hours/closed_after_hours",
        "hours/working_days_from",
        "number/8",
        "hours/until",
        "number/16",
        "hours/thursday_until",
        "number/12",
        "hours/working_hours_end",
    ]


def test_part_day_closure_says_closed_now_and_when_it_reopens(ivr_server):
    with ivr_server.session() as session:
        add_closure(
            session,
            OPEN - dt.timedelta(hours=1),
            OPEN + dt.timedelta(hours=2, minutes=15),
            "قطع برق",
            "admin",
        )

    heard = ivr_server.dial("consultation", [])

    # 10:00 now, open again at 12:15 Tehran time, before the 14:30 closing.
    assert heard.prompts[:7] == [
        "hours/closed_now",
        "hours/reopens_at",
        "number/12",
        "number/and",
        "number/15",
        "time/minutes",
        "hours/reopens_end",
    ]
    assert "hours/closed_closure" not in heard.prompts


def test_closure_ordered_today_closes_at_once(ivr_server):
    with ivr_server.session() as session:
        add_closure(
            session,
            OPEN - dt.timedelta(hours=1),
            OPEN + dt.timedelta(hours=6),
            "برف",
            "admin",
        )

    heard = ivr_server.dial("main", ["0", "2"])

    assert "hours/closed_closure" in heard.prompts
    assert heard.call.outcome == CallOutcome.CALLBACK_REQUESTED
    callback = heard.tickets[0]
    assert callback.kind == TicketKind.CALLBACK
    assert callback.caller_number == CALLER
    assert heard.prompts[-1] == "general/goodbye"
    # Read back twice, like a request's code.
    assert digit_fragments(callback.tracking_code) * 2 == [
        name for name in heard.prompts if name.startswith("digit/")
    ]
    assert "request/code_again" in heard.prompts


def test_callback_without_caller_id_asks_for_a_voice_request(ivr_server):
    ivr_server.at(AFTER_HOURS)
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)

    heard = ivr_server.dial("consultation", ["2", f"record:{wav}"], caller="anonymous")

    assert "callback/no_number" in heard.prompts
    assert [t.kind for t in heard.tickets] == [TicketKind.VOICE_REQUEST]


# Back from the queue ---------------------------------------------------------


def test_key_one_while_waiting_leaves_a_request_in_the_same_call(ivr_server):
    first = ivr_server.dial("main", ["2"], uniqueid="1733300999.1")
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)

    back = ivr_server.dial(
        "queue_exit", [f"record:{wav}", "#"], args=("1",), uniqueid="1733300999.1"
    )

    assert back.call.id == first.call.id
    assert back.prompts[0] == "request/intro"
    assert back.call.outcome == CallOutcome.REQUEST_LEFT
    assert back.path == ["main", "consultation", "queue_exit", "leave_request"]


def test_key_two_while_waiting_asks_for_a_callback(ivr_server):
    heard = ivr_server.dial("queue_exit", [], args=("2",))

    assert heard.call.outcome == CallOutcome.CALLBACK_REQUESTED
    assert heard.prompts[0] == "callback/registered"


def test_queue_timeout_offers_the_choices_and_the_queue_again(ivr_server):
    heard = ivr_server.dial("queue_exit", ["3"])

    assert heard.prompts[0] == "queue_exit/menu"
    assert heard.variables["IVR_QUEUE"] == "consultation"


# Status of a request ---------------------------------------------------------


def test_status_from_the_number_that_filed_it(ivr_server):
    changed = dt.datetime(2025, 3, 20, 8, 0, tzinfo=dt.UTC)  # 30 Esfand 1403
    code = ticket_for(ivr_server, status=TicketStatus.IN_PROGRESS, changed=changed)

    heard = ivr_server.dial("main", ["3", f"{code}#"])

    i = heard.prompts.index("status/current")
    assert heard.prompts[i : i + 3] == [
        "status/current",
        "status/in_progress",
        "status/changed_on",
    ]
    spoken = date_fragments(changed)
    assert heard.prompts[i + 3 : i + 3 + len(spoken)] == spoken
    assert jalali_parts(changed) == (1403, 12, 30)
    assert spoken[:3] == ["number/30", "month/12", "number/1000"]
    assert heard.call.outcome == CallOutcome.SELF_SERVED


def test_status_the_agent_set_is_what_the_caller_hears(ivr_server):
    code = ticket_for(ivr_server)
    assert "status/new" in ivr_server.dial("status_lookup", [f"{code}#"]).prompts

    with ivr_server.session() as session:
        ticket = session.query(Ticket).filter_by(tracking_code=code).one()
        change_status(session, ticket, TicketStatus.RESOLVED, note="انجام شد")

    assert "status/resolved" in ivr_server.dial("status_lookup", [f"{code}#"]).prompts


def test_status_with_a_wrong_check_digit(ivr_server):
    code = ticket_for(ivr_server)

    heard = ivr_server.dial("status_lookup", [f"{wrong_check_digit(code)}#"])

    assert heard.prompts[:2] == ["status/enter_code", "status/code_wrong"]
    assert ("invalid", "status_lookup", "check_digit") in heard.steps


def test_status_of_an_unknown_code(ivr_server):
    code = ticket_for(ivr_server)
    with ivr_server.session() as session:
        session.query(Ticket).delete()

    heard = ivr_server.dial("status_lookup", [f"{code}#"])

    assert heard.prompts[:2] == ["status/enter_code", "status/unknown_code"]


def test_status_from_another_phone_with_the_last_four_digits(ivr_server):
    code = ticket_for(ivr_server, caller="09351112233")

    heard = ivr_server.dial("status_lookup", [f"{code}#", "2233#"], caller=CALLER)

    assert "status/enter_last_four" in heard.prompts
    assert "status/new" in heard.prompts
    # The digits typed are part of a phone number: not kept in the record.
    assert not any("2233" in value for _, _, value in heard.steps)


def test_no_digits_for_the_last_four_is_recorded_as_a_timeout(ivr_server):
    code = ticket_for(ivr_server, caller="09351112233")

    heard = ivr_server.dial("status_lookup", [f"{code}#", "wait"], caller=CALLER)

    assert "status/verify_failed" in heard.prompts
    assert ("timeout", "status_lookup", "status/enter_last_four") in heard.steps
    assert not [step for step in heard.steps if step[0] == "key" and not step[2]]


def test_status_from_another_phone_with_wrong_digits_three_times(ivr_server):
    code = ticket_for(ivr_server, caller="09351112233")
    tries = [f"{code}#", "1111#"] * 3

    heard = ivr_server.dial("status_lookup", tries, caller=CALLER)

    assert heard.prompts.count("status/verify_failed") == 3
    assert heard.prompts.count("status/enter_code") == 3
    assert "status/new" not in heard.prompts
    assert "status/too_many_attempts" in heard.prompts
    assert heard.variables.get("IVR_QUEUE") == "operator"


def test_attempts_used_up_out_of_hours_is_not_self_service(ivr_server):
    ivr_server.at(AFTER_HOURS)
    code = ticket_for(ivr_server)
    wrong = f"{wrong_check_digit(code)}#"

    heard = ivr_server.dial("status_lookup", [wrong] * 3)

    assert "status/too_many_attempts" in heard.prompts
    assert heard.call.outcome == CallOutcome.UNSERVED
    assert heard.call.outcome_detail == "status_lookup:attempts_used_up"


def test_three_attempts_are_counted_per_call_not_per_visit(ivr_server):
    code = ticket_for(ivr_server)
    wrong = f"{wrong_check_digit(code)}#"

    # A wrong code, the right one (heard), then another code: the third.
    heard = ivr_server.dial("main", ["3", wrong, f"{code}#", "1", wrong])

    assert heard.prompts.count("status/enter_code") == 3
    assert heard.prompts.count("status/new") == 1
    assert "status/too_many_attempts" in heard.prompts


def test_attempts_are_counted_across_the_agi_sessions_of_a_call(ivr_server):
    code = ticket_for(ivr_server)
    wrong = f"{wrong_check_digit(code)}#"
    # One wrong code, then a hangup while the second is asked for: two tries.
    ivr_server.dial("status_lookup", [wrong], uniqueid="1733300555.1")

    again = ivr_server.dial("status_lookup", [wrong], uniqueid="1733300555.1")

    assert again.prompts[:3] == [
        "status/enter_code",
        "status/code_wrong",
        "status/too_many_attempts",
    ]


def test_status_code_typed_without_a_hash_times_out_but_counts(ivr_server):
    code = ticket_for(ivr_server)
    assert len(code) == CODE_DIGITS

    heard = ivr_server.dial("status_lookup", [code, "wait"])

    assert "status/new" in heard.prompts


# Leave a request -------------------------------------------------------------


def test_leave_a_request_ended_with_hash(ivr_server):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 4)

    heard = ivr_server.dial("main", ["4", f"record:{wav}", "#"])

    assert heard.call.outcome == CallOutcome.REQUEST_LEFT
    [ticket] = heard.tickets
    assert ticket.kind == TicketKind.VOICE_REQUEST
    assert ticket.status == TicketStatus.NEW
    assert ticket.caller_number == CALLER
    # The simulator, like Asterisk, cuts the tone of the '#' off the end.
    [recorded] = heard.simulated.recordings
    assert recorded.ended_by == "dtmf"
    assert ticket.recording_seconds == pytest.approx(recorded.samples / 8000)
    spool = ivr_server.settings.recording_spool_dir
    assert ticket.recording_spool_path == f"{spool}/{heard.call.uniqueid}-1.wav"
    assert heard.call.outcome_detail == ticket.tracking_code

    # The code is read back digit by digit, twice.
    digits = digit_fragments(ticket.tracking_code)
    i = heard.prompts.index("request/your_code")
    assert heard.prompts[i + 1 : i + 11] == digits
    assert heard.prompts[i + 11] == "request/code_again"
    assert heard.prompts[i + 12 : i + 22] == digits
    assert heard.prompts[-1] == "general/goodbye"


def test_leave_a_request_enqueues_the_recording_job(ivr_server, redis_conn):
    from rq import Queue

    wav = make_wav(ivr_server.tmp_path / "say.wav", 2)
    heard = ivr_server.dial("leave_request", [f"record:{wav}", "#"])

    queue = Queue(ivr_server.settings.rq_queue, connection=redis_conn)
    # The ticket's SMS notification is queued beside it (tests/ivr/
    # test_notifications.py).
    [job] = [j for j in queue.jobs if j.func_name.endswith("process_recording")]
    assert job.args == (heard.tickets[0].id,)


def test_a_too_short_recording_is_tried_again(ivr_server):
    short = make_wav(ivr_server.tmp_path / "short.wav", 0.5)
    good = make_wav(ivr_server.tmp_path / "good.wav", 2)

    heard = ivr_server.dial(
        "leave_request", [f"record:{short}", "#", f"record:{good}", "#"]
    )

    assert heard.prompts[:3] == ["request/intro", "request/too_short", "request/intro"]
    [ticket] = heard.tickets
    assert ticket.recording_spool_path.endswith("-2.wav")


def test_a_silent_recording_is_not_a_request(ivr_server):
    # Long enough, but nothing said: an open line or a pocket dial.
    silence = make_wav(ivr_server.tmp_path / "silence.wav", 3, silent=True)
    good = make_wav(ivr_server.tmp_path / "good.wav", 2)

    heard = ivr_server.dial(
        "leave_request", [f"record:{silence}", "#", f"record:{good}", "#"]
    )

    assert heard.prompts[:3] == ["request/intro", "request/too_short", "request/intro"]
    [ticket] = heard.tickets
    assert ticket.recording_spool_path.endswith("-2.wav")
    assert ("record", "leave_request", "voice 0.00s") in heard.steps


def test_field_case_1_hangup_during_recording_keeps_the_request(ivr_server):
    # 25280 samples at 8 kHz were recorded when the caller hung up.
    wav = make_wav(ivr_server.tmp_path / "say.wav", 25280 / 8000)

    heard = ivr_server.dial("leave_request", [f"record:{wav}"])

    [ticket] = heard.tickets
    assert ticket.recording_seconds == pytest.approx(3.16)
    assert heard.call.outcome == CallOutcome.REQUEST_LEFT
    assert heard.call.ended_at is not None
    assert heard.simulated.recordings[0].samples == 25280
    assert heard.commands[heard.simulated.hangup_command - 1].startswith("RECORD FILE")
    # After the hangup nothing but dead-channel commands went out.
    later = heard.simulated.commands_after_hangup()
    assert all(line.split()[0] in {"GET", "SET", "VERBOSE", "NOOP"} for line in later)


def test_hangup_during_a_too_short_recording_leaves_no_ticket(ivr_server):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 0.4)

    heard = ivr_server.dial("leave_request", [f"record:{wav}"])

    assert heard.tickets == []
    assert heard.call.outcome == CallOutcome.HUNG_UP_IN_MENU
    assert heard.call.outcome_detail == "leave_request"


def test_too_short_takes_are_deleted_from_the_spool(ivr_server):
    short = make_wav(ivr_server.tmp_path / "short.wav", 0.5)
    good = make_wav(ivr_server.tmp_path / "good.wav", 2)
    spool = ivr_server.settings.spool_local_path

    heard = ivr_server.dial(
        "leave_request", [f"record:{short}", "#", f"record:{good}", "#"]
    )

    uniqueid = heard.call.uniqueid
    assert not (spool / f"{uniqueid}-1.wav").exists()
    assert (spool / f"{uniqueid}-2.wav").exists()


def test_hangup_during_a_too_short_recording_deletes_it(ivr_server):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 0.4)

    heard = ivr_server.dial("leave_request", [f"record:{wav}"])

    assert heard.tickets == []
    spool = ivr_server.settings.spool_local_path
    assert not (spool / f"{heard.call.uniqueid}-1.wav").exists()


# Errors and the end of the call ------------------------------------------------


def test_an_error_in_a_flow_apologises_and_tries_the_operator(
    ivr_server, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("ivr.flows.status_lookup.find_by_tracking_code", broken)
    code = ticket_for(ivr_server)

    with caplog.at_level(logging.ERROR):
        heard = ivr_server.dial("status_lookup", [f"{code}#"])

    assert heard.prompts[-1] == "general/apology"
    assert heard.variables["IVR_QUEUE"] == "operator"
    assert heard.call.outcome == CallOutcome.FAILED
    assert "RuntimeError" in heard.call.outcome_detail
    assert any("failed" in record.getMessage() for record in caplog.records)


def queued_then_ended(ivr_server, uniqueid: str, args: tuple[str, ...]):
    """A call the main menu handed to consultation, then its hangup handler
    with the arguments [ivr-hangup] passes."""
    queued = ivr_server.dial("main", ["2"], uniqueid=uniqueid)
    assert queued.call.outcome == CallOutcome.QUEUED
    return ivr_server.dial("call_ended", [], uniqueid=uniqueid, args=args)


def test_call_ended_a_queued_call_a_member_answered(ivr_server):
    # Persian digits as a misconfigured dialplan might pass them.
    ended = queued_then_ended(ivr_server, "1733300777.1", ("PJSIP/101", "۴۲"))

    assert ended.commands == []
    assert ended.call.outcome == CallOutcome.ANSWERED
    assert ended.call.outcome_detail == "PJSIP/101"
    assert ended.call.ended_at is not None
    assert ended.steps[-2:] == [
        ("action", "consultation", "answered:42"),
        ("hangup", "", "call_ended"),
    ]


def test_call_ended_a_queued_call_nobody_answered(ivr_server):
    ended = queued_then_ended(ivr_server, "1733300777.2", ("", ""))

    assert ended.commands == []
    assert ended.call.outcome == CallOutcome.ABANDONED
    assert ended.call.outcome_detail == "consultation"
    kind, node, value = ended.steps[-2]
    assert (kind, node) == ("action", "consultation")
    name, _, waited = value.partition(":")
    assert name == "abandoned" and waited.isdigit(), value
    assert ended.steps[-1] == ("hangup", "", "call_ended")


@pytest.mark.parametrize(
    ("args", "outcome", "step"),
    [
        (("   ",), CallOutcome.ABANDONED, "abandoned"),
        (("PJSIP/102",), CallOutcome.ANSWERED, "answered"),
        (("PJSIP/102", ""), CallOutcome.ANSWERED, "answered"),
        (("PJSIP/102", "soon"), CallOutcome.ANSWERED, "answered"),
        (("PJSIP/102", "-3"), CallOutcome.ANSWERED, "answered"),
    ],
    ids=["blank-member", "no-hold-time", "empty-hold-time", "word", "negative"],
)
def test_call_ended_takes_what_arguments_it_gets(
    ivr_server, request, args, outcome, step
):
    uniqueid = f"1733300778.{request.node.callspec.id}"
    ended = queued_then_ended(ivr_server, uniqueid, args)

    assert ended.call.outcome == outcome
    kind, node, value = ended.steps[-2]
    assert (kind, node) == ("action", "consultation")
    assert value.split(":")[0] == step
    if outcome == CallOutcome.ANSWERED:
        # No hold time to trust: none recorded rather than a made-up one.
        assert value == "answered"


def test_call_ended_without_arguments_leaves_a_queued_call_queued(ivr_server, caplog):
    with caplog.at_level(logging.WARNING):
        ended = queued_then_ended(ivr_server, "1733300777.3", ())

    assert ended.call.outcome == CallOutcome.QUEUED
    assert ended.call.outcome_detail == "consultation"
    assert ended.call.ended_at is not None
    assert ended.steps[-1] == ("hangup", "", "call_ended")
    assert any("no arguments" in r.getMessage() for r in caplog.records)


def test_call_ended_logs_no_phone_number_of_the_member(ivr_server, caplog):
    member = "Local/09121234567@outbound"

    with caplog.at_level(logging.INFO):
        ended = queued_then_ended(ivr_server, "1733300777.4", (member, "7"))

    assert ended.call.outcome_detail == member
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "*********67" in logged
    assert "09121234567" not in logged


@pytest.mark.parametrize(
    ("keys", "outcome", "detail"),
    [
        ([], CallOutcome.HUNG_UP_IN_MENU, "main"),
        (["1", "1", "wait"], CallOutcome.SELF_SERVED, None),
    ],
    ids=["hung-up-in-menu", "self-served"],
)
def test_call_ended_keeps_outcomes_other_than_queued(
    ivr_server, request, keys, outcome, detail
):
    uniqueid = f"1733300779.{request.node.callspec.id}"
    first = ivr_server.dial("main", keys, uniqueid=uniqueid)
    assert first.call.outcome == outcome
    detail = first.call.outcome_detail if detail is None else detail

    ended = ivr_server.dial(
        "call_ended", [], uniqueid=uniqueid, args=("PJSIP/101", "12")
    )

    assert ended.call.outcome == outcome
    assert ended.call.outcome_detail == detail
    assert [kind for kind, _node, _value in ended.steps].count("action") == [
        kind for kind, _node, _value in first.steps
    ].count("action")


@pytest.mark.parametrize("args", [(), ("", ""), ("PJSIP/101", "3")])
def test_call_ended_for_a_call_that_never_reached_a_flow(ivr_server, args):
    ended = ivr_server.dial("call_ended", [], args=args)

    assert ended.call.outcome == CallOutcome.ABANDONED
    assert ended.call.ended_at is not None


def test_without_a_call_record_the_caller_still_reaches_the_operator(
    ivr_server, monkeypatch
):
    def database_down(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr("ivr.call.start_call", database_down)

    heard = ivr_server.dial("main", [])

    assert heard.prompts == ["general/apology"]
    assert heard.variables == {"IVR_NEXT": "queue", "IVR_QUEUE": "operator"}
    assert heard.call is None


def test_a_missing_sound_file_costs_a_prompt_not_the_call(ivr_server, tmp_path):
    from ivr.simulator import simulate_call

    # An empty sounds folder: every STREAM FILE answers result=-1 endpos=0.
    sounds = tmp_path / "no-sounds"
    sounds.mkdir()

    heard = simulate_call(
        ivr_server.host,
        ivr_server.port,
        flow="consultation",
        events=[],
        caller_id=CALLER,
        sounds_root=str(sounds),
    )

    assert heard.variables == {"IVR_NEXT": "queue", "IVR_QUEUE": "consultation"}
    assert not heard.caller_hung_up


# Fixes from the tester's calls ----------------------------------------------


def test_last_retry_out_of_hours_says_why_and_what_happens_next(ivr_server):
    ivr_server.at(AFTER_HOURS)

    heard = ivr_server.dial("main", ["7", "7", "7"])

    i = heard.prompts.index("menu/last_invalid")
    assert heard.prompts[i : i + 4] == [
        "menu/last_invalid",
        "menu/next_closed",
        "menu/next_leave_request",
        "request/intro",
    ]
    assert heard.prompts.count("menu/invalid") == 2


def test_three_too_short_recordings_say_what_happens_next(ivr_server):
    short = make_wav(ivr_server.tmp_path / "short.wav", 0.3)

    heard = ivr_server.dial("leave_request", [f"record:{short}", "#"] * 3)

    assert heard.prompts.count("request/too_short") == 2
    assert heard.prompts[-3:] == [
        "request/failed",
        "menu/next_operator",
        "operator/to_queue",
    ]


def test_three_too_short_recordings_out_of_hours_end_with_why(ivr_server):
    ivr_server.at(AFTER_HOURS)
    short = make_wav(ivr_server.tmp_path / "short.wav", 0.3)

    heard = ivr_server.dial("leave_request", [f"record:{short}", "#"] * 3)

    assert heard.prompts[-4:] == [
        "request/failed",
        "menu/next_closed",
        "request/call_again",
        "general/goodbye",
    ]


def test_withheld_number_types_a_number_and_can_hear_the_status(ivr_server):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2.5)

    heard = ivr_server.dial(
        "leave_request",
        [f"record:{wav}", "#", "12345#", "09125551234#"],
        caller="anonymous",
    )

    ticket = heard.tickets[0]
    assert ticket.caller_number == "09125551234"
    assert heard.prompts.count("request/enter_phone") == 2
    assert "request/phone_invalid" in heard.prompts
    assert "request/phone_saved" in heard.prompts
    # The number stays out of the call record.
    assert not any("5551234" in value for _, _, value in heard.steps)
    assert heard.call.outcome == CallOutcome.REQUEST_LEFT

    later = ivr_server.dial(
        "status_lookup", [f"{ticket.tracking_code}#", "1234"], caller="anonymous"
    )
    assert "status/new" in later.prompts


def test_withheld_number_without_one_hears_status_is_at_the_office(ivr_server):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2.5)

    heard = ivr_server.dial(
        "leave_request", [f"record:{wav}", "#", "wait"], caller="anonymous"
    )

    assert heard.tickets[0].caller_number is None
    assert "request/status_at_office" in heard.prompts
    # The code is still read back: the office finds the request by it.
    assert "request/your_code" in heard.prompts


def test_status_of_a_request_without_a_number_is_at_the_office(ivr_server):
    code = ticket_for(ivr_server, caller=None)

    # Four lookups in a row (1 in the after-status menu asks again): no try
    # is spent, so the fourth is not refused.
    keys = [f"{code}#", "1"] * 3 + [f"{code}#", "wait"]
    heard = ivr_server.dial("status_lookup", keys, caller="anonymous")

    assert heard.prompts.count("request/status_at_office") == 4
    assert "status/enter_last_four" not in heard.prompts
    assert "status/verify_failed" not in heard.prompts
    assert "status/too_many_attempts" not in heard.prompts


def test_hangup_while_typing_a_number_keeps_the_request(ivr_server):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2.5)

    heard = ivr_server.dial(
        "leave_request", [f"record:{wav}", "#", "hangup"], caller="anonymous"
    )

    assert len(heard.tickets) == 1
    assert heard.call.outcome == CallOutcome.REQUEST_LEFT


def test_back_to_the_queue_the_caller_left(ivr_server):
    heard = ivr_server.dial(
        "queue_exit", ["3"], args=("5",), variables={"IVR_QUEUE": "operator"}
    )

    assert heard.prompts[0] == "queue_exit/key_menu"
    assert "queue_exit/menu" not in heard.prompts
    assert heard.variables["IVR_QUEUE"] == "operator"
    assert heard.prompts[-1] == "operator/to_queue"


def test_back_to_the_consultation_queue_after_a_timeout(ivr_server):
    heard = ivr_server.dial(
        "queue_exit", ["3"], variables={"IVR_QUEUE": "consultation"}
    )

    assert heard.prompts[0] == "queue_exit/menu"
    assert heard.variables["IVR_QUEUE"] == "consultation"


def test_star_in_code_entry_repeats_without_using_an_attempt(ivr_server):
    code = ticket_for(ivr_server)

    heard = ivr_server.dial("status_lookup", ["*#", "*#", f"{code}#"])

    assert heard.prompts.count("status/enter_code") == 3
    assert "status/new" in heard.prompts
    attempts = [step for step in heard.steps if step[2] == "status_attempt"]
    assert len(attempts) == 1
    assert "status/code_wrong" not in heard.prompts


def test_star_in_last_four_entry_repeats(ivr_server):
    code = ticket_for(ivr_server)

    heard = ivr_server.dial("status_lookup", [f"{code}#", "*#", "4567"], caller="02188")

    assert heard.prompts.count("status/enter_last_four") == 2
    assert "status/new" in heard.prompts


def test_latest_completed_action_wins_service_info_then_operator(ivr_server):
    heard = ivr_server.dial("main", ["1", "2", "0"])

    assert "service/national-id-card/hours" in heard.prompts
    assert heard.variables["IVR_QUEUE"] == "operator"
    assert heard.call.outcome == CallOutcome.QUEUED
    assert heard.call.outcome_detail == "operator"


def test_second_callback_while_one_is_open_gives_the_earlier_code(ivr_server):
    first = ivr_server.dial("queue_exit", [], args=("2",))
    code = first.tickets[0].tracking_code

    second = ivr_server.dial("queue_exit", [], args=("2",))

    assert second.tickets == []
    assert "callback/already_registered" in second.prompts
    assert "callback/registered" not in second.prompts
    assert [n for n in second.prompts if n.startswith("digit/")] == (
        digit_fragments(code) * 2
    )
    assert second.call.outcome == CallOutcome.CALLBACK_REQUESTED
    assert second.call.outcome_detail == code
    with ivr_server.session() as session:
        count = session.query(Ticket).filter(Ticket.kind == TicketKind.CALLBACK).count()
    assert count == 1


def test_a_closed_callback_allows_a_new_one(ivr_server):
    first = ivr_server.dial("queue_exit", [], args=("2",))
    with ivr_server.session() as session:
        ticket = session.get(Ticket, first.tickets[0].id)
        change_status(session, ticket, TicketStatus.RESOLVED)

    second = ivr_server.dial("queue_exit", [], args=("2",))

    assert len(second.tickets) == 1
    assert second.tickets[0].tracking_code != first.tickets[0].tracking_code


def test_ticket_and_job_log_lines_carry_the_uniqueid(ivr_server, caplog):
    wav = make_wav(ivr_server.tmp_path / "say.wav", 2.5)
    caplog.set_level(logging.INFO)

    ivr_server.dial("leave_request", [f"record:{wav}", "#"], uniqueid="1733309999.7")

    created = [r for r in caplog.records if r.name == "ticketing.service"]
    queued = [r for r in caplog.records if r.name == "ticketing.jobs"]
    assert created and all("call 1733309999.7:" in r.getMessage() for r in created)
    assert queued and all("call 1733309999.7:" in r.getMessage() for r in queued)


def test_typed_digits_stay_out_of_the_agi_debug_lines(ivr_server, caplog):
    code = ticket_for(ivr_server, caller="02188764567")

    with caplog.at_level(logging.DEBUG, logger="ivr.agi.channel"):
        ivr_server.dial("status_lookup", [f"{code}#", "4567"], caller="02188")

    replies = [r.getMessage() for r in caplog.records if "agi <<" in r.getMessage()]
    assert any("result=****" in line for line in replies)
    assert not any("result=4567" in line for line in replies)
