"""The operator: the operator queue in business hours; when closed, the
caller hears why and may leave a request or ask for a callback."""

from __future__ import annotations

from ivr.call import CallContext
from ivr.flows.consultation import to_queue_or_offer


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("operator")
    return to_queue_or_offer(call, call.settings.operator_queue, "operator/to_queue")
