"""Run from the dialplan's hangup handler: closes the call record.

The channel is already gone, so no command is sent to it. A call whose flow
never closed it (the AGI process died, or the caller hung up before the
first AGI) is closed here as hung up in its last menu, or abandoned.

Known shortcoming: a call that waited in a queue stays "queued" whether an
agent answered or the caller gave up; telling them apart needs the queue
events that the AMI service of roadmap 2 will store.
"""

from __future__ import annotations

import logging

from callcenter.config import Settings, get_settings
from callcenter.jalali import utc_now
from callcenter.logs import call_logger
from callcenter.persian import phone_or_none
from ivr.agi.channel import Channel
from ticketing.calls import add_steps, end_call, get_call, start_call
from ticketing.db import session_scope
from ticketing.models import CallOutcome

logger = logging.getLogger(__name__)


def handle(channel: Channel, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    log = call_logger(logger, channel.uniqueid)
    now = utc_now()

    with session_scope(settings.sqlalchemy_url) as session:
        row = get_call(session, channel.uniqueid)
        if row is None:
            row = start_call(
                session,
                channel.uniqueid,
                channel.channel_name,
                phone_or_none(channel.caller_id),
                channel.caller_name,
            )
            session.flush()

        outcome, detail = CallOutcome(row.outcome), row.outcome_detail
        if outcome == CallOutcome.IN_PROGRESS:
            menus = [step.node for step in row.steps if step.kind == "menu"]
            if menus:
                outcome, detail = CallOutcome.HUNG_UP_IN_MENU, menus[-1]
            else:
                outcome, detail = CallOutcome.ABANDONED, ""

        add_steps(session, row.id, [(now, "hangup", "", "call_ended")])
        end_call(session, row.id, outcome, detail, ended_at=now)

    log.info("call ended: %s %s", outcome.value, detail)
