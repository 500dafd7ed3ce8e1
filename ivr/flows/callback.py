"""A callback request: a ticket of kind callback for the caller's number,
whose tracking code is read back. Without a caller id there is no number to
call, so the caller is asked to leave a voice request instead."""

from __future__ import annotations

from ivr.call import CallContext
from ivr.flows import leave_request
from ivr.speak import digit_fragments
from ticketing.models import CallOutcome
from ticketing.service import create_callback_request


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("callback")
    if not call.caller_id:
        call.play("callback/no_number")
        return leave_request.run(call)

    with call.session() as session:
        ticket = create_callback_request(
            session, call_id=call.call_id, caller_number=call.caller_id
        )
        session.flush()
        code = ticket.tracking_code

    call.step("action", f"ticket:{code}")
    call.finish(CallOutcome.CALLBACK_REQUESTED, code)
    call.log.info("call left a callback request %s", code)

    call.play("callback/registered")
    call.play("request/your_code")
    call.play_all(digit_fragments(code))
    call.goodbye()
    return None
