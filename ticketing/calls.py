"""Call records: one row per call through the IVR and the steps it took.

A call can reach the IVR more than once (the main menu hands it to a queue,
the queue gives it back to `queue_exit`, a hangup handler runs `call_ended`),
each time as a new AGI session with the same Asterisk uniqueid. start_call
therefore resumes the row of that uniqueid instead of making a second one.

These functions flush but never commit: the caller's session_scope decides.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.jalali import utc_now
from callcenter.logs import call_logger
from callcenter.persian import (
    mask_numbers_in,
    mask_phone,
    normalize_text,
    phone_or_none,
)
from ticketing.models import Call, CallOutcome, CallStep

logger = logging.getLogger(__name__)

STEP_KINDS = frozenset(
    {
        "menu",
        "prompt",
        "key",
        "timeout",
        "invalid",
        "action",
        "record",
        "transfer",
        "hangup",
    }
)

Step = tuple[dt.datetime | None, str, str, str]


def _as_utc(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return utc_now()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _clip(text: str | None, length: int) -> str:
    # Columns have fixed widths; a too-long channel name or value must not
    # cost the whole call record.
    return normalize_text(text)[:length]


def get_call(session: Session, uniqueid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.uniqueid == uniqueid))


def start_call(
    session: Session,
    uniqueid: str,
    channel: str = "",
    caller_id: str | None = None,
    caller_name: str = "",
) -> Call:
    """The call of this uniqueid, made on first sight and resumed afterwards.

    A resumed call that was marked ended (for example when the main menu
    handed it to a queue) is open again: the call is evidently still going.
    """
    uniqueid = (uniqueid or "").strip()
    if not uniqueid:
        raise ValueError("a call needs Asterisk's uniqueid")
    log = call_logger(logger, uniqueid)

    call = get_call(session, uniqueid)
    if call is None:
        call, created = _insert_call(session, uniqueid, channel, caller_id, caller_name)
        if created:
            log.info("call started from %s", mask_phone(call.caller_id))
            return call

    if call.ended_at is not None:
        log.info("call resumed after %s", call.outcome)
        call.ended_at = None
        session.flush()
    return call


def _insert_call(
    session: Session,
    uniqueid: str,
    channel: str,
    caller_id: str | None,
    caller_name: str,
) -> tuple[Call, bool]:
    call = Call(
        uniqueid=uniqueid[:64],
        channel=_clip(channel, 200),
        caller_id=phone_or_none(caller_id),
        caller_name=_clip(caller_name, 200),
        started_at=utc_now(),
        outcome=CallOutcome.IN_PROGRESS,
    )

    # Two AGI sessions of one call may race to make the row; the loser
    # takes the winner's row instead of failing.
    try:
        with session.begin_nested():
            session.add(call)
    except IntegrityError:
        existing = get_call(session, uniqueid)
        if existing is None:
            raise
        return existing, False
    return call, True


def add_steps(session: Session, call_id: int, steps: Iterable[Step]) -> list[CallStep]:
    """Append steps (at, kind, node, value) to a call, numbered after the last.

    `at` may be None for "now"; naive times are taken as UTC.
    """
    steps = list(steps)
    for _, kind, _, _ in steps:
        if kind not in STEP_KINDS:
            raise ValueError(f"unknown call step kind {kind!r}")
    if not steps:
        return []

    # Lock the call so two writers of one call cannot take the same seq.
    call = session.get(Call, call_id, with_for_update=True)
    if call is None:
        raise LookupError(f"no call with id {call_id}")

    last = session.scalar(
        select(func.coalesce(func.max(CallStep.seq), 0)).where(
            CallStep.call_id == call_id
        )
    )
    added = []
    for offset, (at, kind, node, value) in enumerate(steps, start=1):
        step = CallStep(
            call_id=call_id,
            seq=last + offset,
            at=_as_utc(at),
            kind=kind,
            node=_clip(node, 64),
            value=_clip(value, 200),
        )
        session.add(step)
        added.append(step)

    session.flush()
    session.expire(call, ["steps"])
    return added


def record_call_end(
    session: Session,
    call_id: int,
    steps: Iterable[Step],
    outcome: CallOutcome | str,
    detail: str = "",
    ended_at: dt.datetime | None = None,
) -> Call:
    """Close a call record: its last steps, then its outcome (end_call)."""
    add_steps(session, call_id, steps)
    return end_call(session, call_id, outcome, detail, ended_at)


def end_call(
    session: Session,
    call_id: int,
    outcome: CallOutcome | str,
    detail: str = "",
    ended_at: dt.datetime | None = None,
) -> Call:
    """Record how the call left the IVR.

    The latest outcome wins. ended_at is set when the call has none yet;
    an ended_at passed explicitly replaces an earlier one (call_ended knows
    the real hangup time better than a flow that handed the call on).
    """
    try:
        outcome = CallOutcome(outcome)
    except ValueError:
        raise ValueError(f"unknown call outcome {outcome!r}") from None
    if outcome is CallOutcome.IN_PROGRESS:
        raise ValueError("a call cannot end in_progress")

    call = session.get(Call, call_id, with_for_update=True)
    if call is None:
        raise LookupError(f"no call with id {call_id}")

    # The hangup handler closes every call again, most often as its flow
    # left it: that second close is not news at INFO.
    already = (
        call.ended_at is not None
        and call.outcome == outcome.value
        and call.outcome_detail == _clip(detail, 200)
    )
    call.outcome = outcome
    call.outcome_detail = _clip(detail, 200)
    if ended_at is not None:
        call.ended_at = _as_utc(ended_at)
    elif call.ended_at is None:
        call.ended_at = utc_now()
    session.flush()

    # An answering queue member is named by Asterisk's interface, which may
    # hold a phone number (Local/09121234567@trunk); other details are ours.
    shown = call.outcome_detail
    if outcome is CallOutcome.ANSWERED:
        shown = mask_numbers_in(shown)
    level = logging.DEBUG if already else logging.INFO
    call_logger(logger, call.uniqueid).log(
        level, "call ended: %s %s", outcome.value, shown
    )
    return call
