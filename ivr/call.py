"""One call through the IVR: its channel, its call record and its steps.

Flows talk to the caller through a CallContext: play() records every prompt
as a "prompt" step before it goes out, so the call record shows what the
caller heard. Steps are buffered and written at menu boundaries and at the
end. run_flow() always closes the call record, whatever happens: a hangup at
any command, an error in a flow (the caller hears an apology and is sent to
the operator queue), or a normal end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from callcenter.config import Settings, get_settings
from callcenter.jalali import utc_now
from callcenter.logs import call_logger
from callcenter.persian import mask_phone, phone_or_none
from ivr.agi.channel import Channel
from ivr.agi.errors import AgiError, ChannelHungUp, CommandFailed
from ticketing.calls import add_steps, record_call_end, start_call
from ticketing.db import session_scope
from ticketing.hours import center_status
from ticketing.models import Call, CallOutcome

logger = logging.getLogger(__name__)

# Channel variables the dialplan reads after the AGI returns.
VAR_NEXT = "IVR_NEXT"
VAR_QUEUE = "IVR_QUEUE"


def now():
    """The current time for business-hours decisions; tests replace it."""
    return utc_now()


class CallContext:
    """What a flow needs during one AGI session of a call."""

    def __init__(
        self,
        channel: Channel,
        settings: Settings,
        call_id: int | None,
        record_count: int = 0,
        status_attempts: int = 0,
    ):
        self.channel = channel
        self.settings = settings
        self.call_id = call_id
        self.caller_id = phone_or_none(channel.caller_id)
        self.log = call_logger(logger, channel.uniqueid)

        self.node = ""
        self.outcome: CallOutcome | None = None
        self.detail = ""
        self.record_count = record_count
        self.status_attempts = status_attempts
        self._steps: list[tuple] = []
        self._answered = False
        # Set when the IVR ends the call; any other hangup is the caller's.
        self._ivr_hung_up = False
        # Nodes whose intro (a greeting) was heard: it is said once a call.
        self.intros_heard: set[str] = set()

    # Opening ------------------------------------------------------------------

    @classmethod
    def start(cls, channel: Channel, settings: Settings | None = None) -> CallContext:
        """Open (or resume, same uniqueid) the call record."""
        settings = settings or get_settings()
        with _session(settings) as session:
            row = open_call(session, channel)
            # A second AGI in the same call (after the queue) continues the
            # numbering of recordings and the count of status attempts.
            record_count = sum(1 for step in row.steps if step.kind == "record")
            status_attempts = sum(
                1
                for step in row.steps
                if step.kind == "action" and step.value == "status_attempt"
            )
            call_id = row.id

        context = cls(channel, settings, call_id, record_count, status_attempts)
        context.log.debug(
            "flow %s running for %s",
            channel.script or "-",
            mask_phone(context.caller_id),
        )
        return context

    @contextmanager
    def session(self) -> Iterator:
        with _session(self.settings) as session:
            yield session

    # Steps --------------------------------------------------------------------

    def step(self, kind: str, value: object = "", node: str | None = None) -> None:
        node = self.node if node is None else node
        self._steps.append((utc_now(), kind, node[:64], str(value)[:200]))

    def enter(self, node_id: str) -> None:
        """A menu node begins: recorded, and the steps so far are written."""
        self.node = node_id
        self.step("menu", node=node_id)
        self.flush()

    def flush(self) -> None:
        if not self._steps or self.call_id is None:
            return

        steps, self._steps = self._steps, []
        try:
            with self.session() as session:
                add_steps(session, self.call_id, steps)
        except Exception:
            # The caller must not lose the call to a database hiccup; the
            # steps are kept and written with the next flush.
            self._steps = steps + self._steps
            self.log.warning("call steps not written yet", exc_info=True)

    # Talking to the caller ----------------------------------------------------

    def sound(self, name: str) -> str:
        return f"{self.settings.sound_prefix}/{name}"

    def play(self, name: str, escape_digits: str = "") -> str:
        """Play one prompt; return the key that interrupted it, or ''."""
        self.step("prompt", name)
        try:
            return self.channel.stream_file(self.sound(name), escape_digits)
        except CommandFailed:
            # Usually a sound file that was never built: one prompt lost is
            # better than a call lost. `callcenter prompts build` fixes it.
            self.step("invalid", f"unplayable:{name}")
            self.log.warning("prompt %s could not be played", name)
            return ""

    def play_all(self, names: list[str], escape_digits: str = "") -> str:
        """Play prompts in order until one is interrupted by a key."""
        for name in names:
            key = self.play(name, escape_digits)
            if key:
                return key
        return ""

    def ensure_answered(self) -> None:
        # Once per AGI session; on a channel that is already up (back from
        # a queue) ANSWER is a harmless no-op.
        if not self._answered:
            self.channel.answer()
            self._answered = True

    def hand_off(self, queue: str) -> None:
        """Send the call to an Asterisk queue; the dialplan runs Queue()."""
        self.channel.set_variable(VAR_NEXT, "queue")
        self.channel.set_variable(VAR_QUEUE, queue)
        self.step("transfer", queue)
        self.finish(CallOutcome.QUEUED, queue)
        self.log.info("call handed to queue %s", queue)

    def goodbye(self) -> None:
        self.play("general/goodbye")
        self._ivr_hung_up = True
        self.channel.hangup()

    def finish(self, outcome: CallOutcome, detail: str = "") -> None:
        """Name how the call left the IVR (the last one named wins)."""
        self.outcome = outcome
        self.detail = detail

    def center_status(self):
        """Whether the center is open now, and why not (ticketing.hours)."""

        with self.session() as session:
            return center_status(session, self.settings, now())

    # Closing ------------------------------------------------------------------

    def final_outcome(self) -> tuple[CallOutcome, str]:
        if self.outcome is not None:
            return self.outcome, self.detail
        if self.channel.hung_up:
            if self.node:
                return CallOutcome.HUNG_UP_IN_MENU, self.node
            return CallOutcome.ABANDONED, ""
        return CallOutcome.SELF_SERVED, self.detail

    def close(self) -> None:
        """Write the remaining steps and the outcome; never raises."""

        outcome, detail = self.final_outcome()
        if self.channel.hung_up:
            self.step("hangup", "ivr" if self._ivr_hung_up else "caller")
        if self.call_id is None:
            return

        steps, self._steps = self._steps, []
        try:
            with self.session() as session:
                # end_call logs the end, with the uniqueid.
                record_call_end(session, self.call_id, steps, outcome, detail)
        except Exception:
            self.log.exception("call record not closed")


def open_call(session: Session, channel: Channel) -> Call:
    """The call record of a channel: made on first sight, resumed after."""
    row = start_call(
        session,
        channel.uniqueid,
        channel.channel_name,
        phone_or_none(channel.caller_id),
        channel.caller_name,
    )
    session.flush()
    return row


@contextmanager
def _session(settings: Settings):
    with session_scope(settings.sqlalchemy_url) as session:
        yield session


def run_flow(
    channel: Channel,
    flow: Callable[[CallContext], None],
    settings: Settings | None = None,
) -> CallContext | None:
    """Run one flow on a call and always close the call record."""
    settings = settings or get_settings()
    log = call_logger(logger, channel.uniqueid)

    try:
        call = CallContext.start(channel, settings)
    except Exception:
        # Known shortcoming: with the database down this call leaves no
        # record at all; a local fallback journal would keep it.
        log.exception("call record not opened; sending caller to the operator")
        _rescue(channel, settings, None)
        return None

    try:
        flow(call)
    except ChannelHungUp:
        log.info("caller hung up in %s", call.node or "the greeting")
    except Exception as error:
        log.exception("flow %s failed", channel.script or "-")
        _rescue(channel, settings, call)
        call.finish(CallOutcome.FAILED, f"error: {type(error).__name__}")
    finally:
        call.close()
    return call


def _rescue(channel: Channel, settings: Settings, call: CallContext | None) -> None:
    """After an error: an apology, then the operator queue, never dead air."""
    if channel.hung_up:
        return
    try:
        if call is not None:
            call.play("general/apology")
        else:
            channel.stream_file(f"{settings.sound_prefix}/general/apology", "")
        channel.set_variable(VAR_NEXT, "queue")
        channel.set_variable(VAR_QUEUE, settings.operator_queue)
        if call is not None:
            call.step("transfer", settings.operator_queue)
    except (AgiError, OSError):
        logger.warning("call %s: rescue after error failed", channel.uniqueid)
