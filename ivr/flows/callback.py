"""A callback request: a ticket of kind callback for the caller's number,
whose tracking code is read back twice. A caller whose earlier callback
request is still open (new or in progress) gets no second one: they hear
the earlier request's code. Without a caller id there is no number to
call, so the caller is asked to leave a voice request instead."""

from __future__ import annotations

from ivr.call import CallContext
from ivr.flows import leave_request
from ticketing.models import CallOutcome
from ticketing.service import callback_request_for


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("callback")
    if not call.caller_id:
        call.play("callback/no_number")
        return leave_request.run(call)

    with call.session() as session:
        ticket, is_new = callback_request_for(
            session, call_id=call.call_id, caller_number=call.caller_id
        )
        code = ticket.tracking_code

    call.finish(CallOutcome.CALLBACK_REQUESTED, code)
    if not is_new:
        call.step("action", f"callback_open:{code}")
        call.log.info("caller already has open callback request %s", code)
        leave_request.read_back(call, code, "callback/already_registered")
    else:
        call.step("action", f"ticket:{code}")
        call.log.info("call left a callback request %s", code)
        leave_request.read_back(call, code, "callback/registered")
    call.goodbye()
    return None
