"""Run from the dialplan's hangup handler: closes the call record.

The channel is already gone, so no command is sent to it. What Asterisk
knew at the hangup comes as AGI arguments, which the dialplan fills in
before the session starts ([ivr-hangup] in deploy/asterisk/extensions.conf):

1. MEMBERINTERFACE, the queue member that answered (queues.conf
   setinterfacevar), empty when no member answered;
2. QEHOLDTIME, the seconds the caller waited for that answer (queues.conf
   setqueueentryvar), empty when no member answered.

A call the IVR handed to a queue ("queued") ends "answered", with the member
as detail and a step with the hold time, or "abandoned", with the queue as
detail and a step with the wait since the hand-off. A call whose flow never
closed it (the AGI process died, or the caller hung up before the first AGI)
is closed here as hung up in its last menu, or abandoned. Every other
outcome stays as the flows left it.

Known shortcomings: without arguments (a dialplan older than this module) a
queued call stays "queued", with a warning, since nothing says which way it
went. The wait of a caller who gave up is measured from the IVR's hand-off
step, by our clock: Asterisk reports a hold time only when a member answers.
The member is the interface Asterisk rang (PJSIP/101), not the agent's name.
"""

from __future__ import annotations

import datetime as dt
import logging

from callcenter.config import Settings, get_settings
from callcenter.jalali import utc_now
from callcenter.logs import CallLogAdapter, call_logger
from callcenter.persian import mask_numbers_in, normalize_digits
from ivr.agi.channel import Channel
from ivr.call import open_call
from ticketing.calls import Step, get_call, record_call_end
from ticketing.db import session_scope
from ticketing.models import Call, CallOutcome

logger = logging.getLogger(__name__)


def handle(channel: Channel, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    log = call_logger(logger, channel.uniqueid)
    now = utc_now()

    with session_scope(settings.sqlalchemy_url) as session:
        row = get_call(session, channel.uniqueid) or open_call(session, channel)

        outcome, detail = CallOutcome(row.outcome), row.outcome_detail
        steps: list[Step] = []
        if outcome == CallOutcome.IN_PROGRESS:
            menus = [step.node for step in row.steps if step.kind == "menu"]
            if menus:
                outcome, detail = CallOutcome.HUNG_UP_IN_MENU, menus[-1]
            else:
                outcome, detail = CallOutcome.ABANDONED, ""
        elif outcome == CallOutcome.QUEUED:
            outcome, detail, steps = _queue_result(row, channel.arguments, now, log)

        # Who hung up is not known here (caller, agent or IVR): the step
        # says only that the hangup handler saw the end. end_call logs it.
        steps.append((now, "hangup", "", "call_ended"))
        record_call_end(session, row.id, steps, outcome, detail, ended_at=now)


def _queue_result(
    row: Call, arguments: list[str], now: dt.datetime, log: CallLogAdapter
) -> tuple[CallOutcome, str, list[Step]]:
    """Answered or abandoned, for a call last handed to the queue named in
    its detail; its outcome, detail and the step that says so."""
    queue = row.outcome_detail
    if not arguments:
        log.warning(
            "queued call ended without the queue's result: the dialplan's "
            "hangup handler passes no arguments to call_ended"
        )
        return CallOutcome.QUEUED, queue, []

    member = arguments[0].strip()
    if member:
        held = _seconds(arguments[1] if len(arguments) > 1 else "", log)
        value = "answered" if held is None else f"answered:{held}"
        log.info(
            "queue %s answered by %s after %s s",
            queue,
            mask_numbers_in(member),
            "?" if held is None else held,
        )
        return CallOutcome.ANSWERED, member, [(now, "action", queue, value)]

    waited = _since_hand_off(row, now)
    value = "abandoned" if waited is None else f"abandoned:{waited}"
    log.info(
        "caller gave up in queue %s after %s s",
        queue,
        "?" if waited is None else waited,
    )
    return CallOutcome.ABANDONED, queue, [(now, "action", queue, value)]


def _seconds(text: str, log: CallLogAdapter) -> int | None:
    """QEHOLDTIME as whole seconds; None when Asterisk gave none."""
    text = normalize_digits(text).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        log.warning("queue hold time %r is not a number of seconds; ignored", text)
        return None
    return int(text)


def _since_hand_off(row: Call, now: dt.datetime) -> int | None:
    """Whole seconds since the call's last hand-off to a queue."""
    handed = [step.at for step in row.steps if step.kind == "transfer"]
    if not handed:
        return None
    at = handed[-1]
    # SQLite gives back naive times; they were stored as UTC.
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return max(0, round((now - at).total_seconds()))
