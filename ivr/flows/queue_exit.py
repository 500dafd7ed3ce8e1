"""Back from a queue without an agent: the caller pressed a key while
waiting (agi_arg_1) or the queue timed out. Offers a voice request or a
callback, or the queue again."""

from __future__ import annotations

from callcenter.persian import normalize_digits
from ivr.call import CallContext
from ivr.navigator import perform

# The keys the waiting announcement offers (consultation/to_queue).
DIRECT_KEYS = {"1": "leave_request", "2": "callback"}


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    arguments = call.channel.arguments
    key = normalize_digits(arguments[0]).strip() if arguments else ""

    action = DIRECT_KEYS.get(key)
    if action is None:
        return "queue_exit"

    call.enter("queue_exit")
    call.step("key", key)
    call.step("action", action)
    return perform(call, action)
