"""Back from a queue without an agent: the caller pressed a key while
waiting (agi_arg_1) or the queue timed out. Offers a voice request or a
callback, or the queue the caller left (IVR_QUEUE) again.

The two ways back are told apart: after a timeout the caller hears that
the experts are still busy; after a key other than 1 or 2 the caller hears
that they left the queue (queue_exit_key)."""

from __future__ import annotations

from callcenter.persian import normalize_digits
from ivr.call import VAR_QUEUE, CallContext
from ivr.navigator import perform

# The keys the waiting announcement offers (consultation/to_queue).
DIRECT_KEYS = {"1": "leave_request", "2": "callback"}


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    arguments = call.channel.arguments
    key = normalize_digits(arguments[0]).strip() if arguments else ""

    action = DIRECT_KEYS.get(key)
    if action is None:
        return "queue_exit_key" if key else "queue_exit"

    call.enter("queue_exit")
    call.step("key", key)
    call.step("action", action)
    return perform(call, action)


def queue_again(call: CallContext) -> str | None:
    """Back to the queue the caller left, consultation if it is not known."""
    from ivr.flows import consultation, operator

    left = call.channel.get_variable(VAR_QUEUE) or ""
    call.step("action", f"queue_again:{left or '-'}")
    if left == call.settings.operator_queue:
        return operator.run(call)
    return consultation.run(call)
