"""Status of a request: the caller types a tracking code and hears its
status and the Jalali date of the last change.

A mistyped code is caught by its check digit. The status is read only to
the phone number that filed the request, or to a caller who types that
number's last four digits; settings.status_max_attempts tries per call
(counted across the call's AGI sessions). `*` while typing plays the
prompt again and costs no try. A request filed from a withheld number
that left no number can never be verified: the caller hears that its
status is told at the office, and no try is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callcenter.persian import phone_or_none
from ivr.call import CallContext
from ivr.choice import read_digits
from ivr.navigator import perform
from ivr.speak import date_fragments
from ticketing.models import CallOutcome, Ticket
from ticketing.service import caller_may_hear_status, find_by_tracking_code
from ticketing.tracking import is_valid_tracking_code

CODE_DIGITS = 10


@dataclass(frozen=True)
class Found:
    status: str
    changed_at: datetime
    verified_by_caller_id: bool
    ticket_id: int
    # A withheld number that left none: the status is told at the office.
    has_caller_number: bool


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("status_lookup")
    settings = call.settings

    while call.status_attempts < settings.status_max_attempts:
        # Counted before the code is read: a hangup while typing costs a try.
        call.status_attempts += 1
        call.step("action", "status_attempt")

        found = find_ticket(call)
        if found is not None and not found.has_caller_number:
            # Nothing to verify against: no four digits asked, the try given
            # back (a later AGI session of this call still counts it).
            call.status_attempts -= 1
            call.step("invalid", "no_caller_number")
            call.play("request/status_at_office")
            return "after_status"

        if found is None or not verify_caller(call, found):
            continue

        read_status(call, found)
        call.finish(CallOutcome.SELF_SERVED, "status_lookup")
        return "after_status"

    call.play("status/too_many_attempts")
    if call.center_status().is_open:
        return perform(call, "operator")
    if call.outcome is not CallOutcome.SELF_SERVED:
        # No status was read out in this call: the caller was not served.
        call.finish(CallOutcome.UNSERVED, "status_lookup:attempts_used_up")
    call.goodbye()
    return None


def find_ticket(call: CallContext) -> Found | None:
    """Read a code and find its ticket, or say what was wrong and give None."""

    # One more than the code, so the closing # ends the input.
    code = read_digits(call, "status/enter_code", CODE_DIGITS + 1)
    if not code:
        call.step("timeout", "status/enter_code")
        call.play("status/no_code")
        return None

    call.step("key", code)
    if not is_valid_tracking_code(code):
        call.step("invalid", "check_digit")
        call.play("status/code_wrong")
        return None

    with call.session() as session:
        ticket = find_by_tracking_code(session, code)
        if ticket is None:
            call.step("invalid", "unknown_code")
            call.play("status/unknown_code")
            return None
        return Found(
            ticket.status,
            ticket.status_changed_at,
            caller_may_hear_status(ticket, call.caller_id),
            ticket.id,
            phone_or_none(ticket.caller_number) is not None,
        )


def verify_caller(call: CallContext, found: Found) -> bool:
    """Same number as the filer, or the last four digits of it typed."""

    if found.verified_by_caller_id:
        call.step("action", "verified:caller_id")
        return True

    last_four = read_digits(call, "status/enter_last_four", 4)
    if last_four:
        # The digits are part of a phone number: kept out of the call record.
        call.step("key", "*" * len(last_four))
    else:
        call.step("timeout", "status/enter_last_four")
    with call.session() as session:
        ticket = session.get(Ticket, found.ticket_id)
        allowed = caller_may_hear_status(ticket, call.caller_id, last_four)

    if allowed:
        call.step("action", "verified:last_four")
        return True
    call.step("invalid", "last_four")
    call.play("status/verify_failed")
    return False


def read_status(call: CallContext, found: Found) -> None:
    call.play("status/current")
    call.play(f"status/{found.status}")
    call.play("status/changed_on")
    call.play_all(date_fragments(found.changed_at))
