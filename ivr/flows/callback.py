"""A callback request: a ticket of kind callback for the caller's number,
whose tracking code is read back twice. A caller whose earlier callback
request is still open (new or in progress) gets no second one: they hear
the earlier request's code. Without a caller id there is no number to
call, so the caller is asked to leave a voice request instead."""

from __future__ import annotations

from ivr.call import CallContext
from ivr.flows import leave_request
from ivr.speak import digit_fragments
from ticketing.models import CallOutcome
from ticketing.service import create_callback_request, open_callback_for


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("callback")
    if not call.caller_id:
        call.play("callback/no_number")
        return leave_request.run(call)

    with call.session() as session:
        earlier = open_callback_for(session, call.caller_id)
        if earlier is None:
            ticket = create_callback_request(
                session, call_id=call.call_id, caller_number=call.caller_id
            )
            session.flush()
        else:
            ticket = earlier
        code = ticket.tracking_code

    call.finish(CallOutcome.CALLBACK_REQUESTED, code)
    if earlier is not None:
        call.step("action", f"callback_open:{code}")
        call.log.info("caller already has open callback request %s", code)
        call.play("callback/already_registered")
    else:
        call.step("action", f"ticket:{code}")
        call.log.info("call left a callback request %s", code)
        call.play("callback/registered")

    call.play("request/your_code")
    call.play_all(digit_fragments(code))
    call.play("request/code_again")
    call.play_all(digit_fragments(code))
    call.goodbye()
    return None
