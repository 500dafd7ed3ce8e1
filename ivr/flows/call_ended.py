"""Run from the dialplan's hangup handler: closes the call record.

The channel is already gone, so no command is sent to it. A call whose flow
never closed it (the AGI process died, or the caller hung up before the
first AGI) is closed here as hung up in its last menu, or abandoned.

Known shortcoming: a call that waited in a queue stays "queued" whether an
agent answered or the caller gave up; telling them apart needs the queue
events that the AMI service of roadmap 2 will store.
"""

from __future__ import annotations

from callcenter.config import Settings, get_settings
from callcenter.jalali import utc_now
from ivr.agi.channel import Channel
from ivr.call import open_call
from ticketing.calls import get_call, record_call_end
from ticketing.db import session_scope
from ticketing.models import CallOutcome


def handle(channel: Channel, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    now = utc_now()

    with session_scope(settings.sqlalchemy_url) as session:
        row = get_call(session, channel.uniqueid) or open_call(session, channel)

        outcome, detail = CallOutcome(row.outcome), row.outcome_detail
        if outcome == CallOutcome.IN_PROGRESS:
            menus = [step.node for step in row.steps if step.kind == "menu"]
            if menus:
                outcome, detail = CallOutcome.HUNG_UP_IN_MENU, menus[-1]
            else:
                outcome, detail = CallOutcome.ABANDONED, ""

        # Who hung up is not known here (caller, agent or IVR): the step
        # says only that the hangup handler saw the end. end_call logs it.
        steps = [(now, "hangup", "", "call_ended")]
        record_call_end(session, row.id, steps, outcome, detail, ended_at=now)
