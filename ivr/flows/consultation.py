"""Consultation: in business hours the call goes to the consultation queue;
when the center is closed the caller hears why, when it opens again, and
may leave a request or ask for a callback."""

from __future__ import annotations

from ivr.call import CallContext
from ivr.speak import time_fragments
from ticketing.hours import OpenState, clock_setting

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

    call.step("action", f"closed:{state.reason}")
    call.play_all(closed_fragments(call, state))
    return "closed_offer"


def closed_fragments(call: CallContext, state: OpenState) -> list[str]:
    """Why the center is closed and when a caller finds it open."""
    if state.reason == "closure" and state.reopens_at is not None:
        # A closure for part of the day: closed now, open again later today.
        return [
            "hours/closed_now",
            "hours/reopens_at",
            *time_fragments(state.reopens_at),
            "hours/reopens_end",
        ]
    if state.reason == "closure":
        return ["hours/closed_closure"]

    reason = state.reason if state.reason in CLOSED_REASONS else "after_hours"
    return [f"hours/closed_{reason}", *working_hours_fragments(call)]


def working_hours_fragments(call: CallContext) -> list[str]:
    """The working hours of the settings, spoken: Saturday to Wednesday from
    opening to closing time (and Thursday's closing time when it opens)."""
    settings = call.settings
    spoken = [
        "hours/working_days_from",
        *time_fragments(clock_setting(settings, "opening_time")),
        "hours/until",
        *time_fragments(clock_setting(settings, "closing_time")),
    ]
    if settings.thursday_open:
        spoken += [
            "hours/thursday_until",
            *time_fragments(clock_setting(settings, "thursday_closing_time")),
        ]
    spoken.append("hours/working_hours_end")
    return spoken
