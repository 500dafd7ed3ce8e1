"""Leave a request: the caller records a message after a beep, ended by `#`,
silence or the maximum length. A recording of at least
settings.min_recording_seconds becomes a ticket, even when the caller hung
up during or after it; its tracking code is read back twice. A shorter one
earns a Persian prompt and another try."""

from __future__ import annotations

from ivr.agi.channel import Recording
from ivr.agi.errors import ChannelHungUp
from ivr.call import CallContext
from ivr.navigator import perform
from ivr.speak import digit_fragments
from ticketing.jobs import enqueue_recording
from ticketing.models import CallOutcome
from ticketing.service import create_voice_request


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("leave_request")
    settings = call.settings

    for _ in range(settings.menu_retries):
        call.play("request/intro")
        recording = record(call)

        if recording.seconds >= settings.min_recording_seconds:
            code = create_ticket(call, recording)
            if recording.hung_up:
                raise ChannelHungUp("hangup during recording; ticket kept")
            read_back(call, code)
            call.goodbye()
            return None

        if recording.hung_up:
            raise ChannelHungUp("hangup before anything was recorded")
        call.step("invalid", f"short:{recording.seconds:.2f}")
        call.play("request/too_short")

    call.play("request/failed")
    call.finish(CallOutcome.ABANDONED, "leave_request: nothing recorded")
    if call.center_status().is_open:
        return perform(call, "operator")
    call.goodbye()
    return None


def record(call: CallContext) -> Recording:
    settings = call.settings
    call.record_count += 1
    path = f"{settings.recording_spool_dir}/{call.channel.uniqueid}-{call.record_count}"
    call.step("record", path)

    recording = call.channel.record_file(
        path,
        settings.max_recording_seconds * 1000,
        silence_s=settings.recording_silence_seconds,
        escape_digits="#",
        fmt="wav",
        beep=True,
    )
    call.step("record", f"{recording.seconds:.2f}s")
    return recording


def create_ticket(call: CallContext, recording: Recording) -> str:
    """The ticket for a recording; the worker moves the audio afterwards."""

    with call.session() as session:
        ticket = create_voice_request(
            session,
            call_id=call.call_id,
            caller_number=call.caller_id,
            spool_path=f"{recording.path}.wav",
            seconds=round(recording.seconds, 2),
        )
        session.flush()
        ticket_id, code = ticket.id, ticket.tracking_code

    call.step("action", f"ticket:{code}")
    call.finish(CallOutcome.REQUEST_LEFT, code)
    call.log.info("call left request %s (%.2f s)", code, recording.seconds)

    enqueue_recording(ticket_id, call.settings)
    return code


def read_back(call: CallContext, code: str) -> None:
    """The tracking code digit by digit, twice."""
    call.play("request/registered")
    call.play("request/your_code")
    call.play_all(digit_fragments(code))
    call.play("request/code_again")
    call.play_all(digit_fragments(code))
