"""Consultation: in business hours the call goes to the consultation queue;
when the center is closed the caller hears why and may leave a request or
ask for a callback."""

from __future__ import annotations

from ivr.call import CallContext

# ticketing.hours reasons that have a prompt hours/closed_<reason>.
CLOSED_REASONS = ("after_hours", "weekend", "holiday", "closure")


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("consultation")
    return to_queue_or_offer(
        call, call.settings.consultation_queue, "consultation/to_queue"
    )


def to_queue_or_offer(call: CallContext, queue: str, prompt: str) -> str | None:
    """Hand off to queue when open; else say why closed and offer the rest."""
    state = call.center_status()
    if state.is_open:
        call.play(prompt)
        call.hand_off(queue)
        return None

    reason = state.reason if state.reason in CLOSED_REASONS else "after_hours"
    call.step("action", f"closed:{state.reason}")
    call.play(f"hours/closed_{reason}")
    return "closed_offer"
