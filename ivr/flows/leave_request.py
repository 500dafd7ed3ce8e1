"""Leave a request: the caller records a message after a beep, ended by `#`,
silence or the maximum length. A recording of at least
settings.min_recording_seconds, with settings.min_voice_seconds of voice
in it, becomes a ticket, even when the caller hung up during or after it;
its tracking code is read back twice. A shorter or silent one earns a
Persian prompt and another try.

A caller without caller id (withheld number) is asked, once the request is
kept, for a number to reach them: the ticket stores it as its caller
number, so the status can later be heard with its last four digits. A
caller who types none hears that the status is given at the office only.
"""

from __future__ import annotations

from pathlib import Path

from callcenter.persian import InvalidPhoneNumber, normalize_phone
from ivr.agi.channel import Recording
from ivr.agi.errors import ChannelHungUp
from ivr.audio import speech_seconds
from ivr.call import CallContext
from ivr.choice import read_digits
from ivr.navigator import perform
from ivr.speak import digit_fragments
from ticketing.jobs import enqueue_recording
from ticketing.models import CallOutcome, NotificationKind, Ticket
from ticketing.notifications import enqueue_notification, record_notification
from ticketing.service import create_voice_request, set_caller_number

# The longest number a caller may type (international numbers with 00).
PHONE_MAX_DIGITS = 15


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("leave_request")
    settings = call.settings

    for attempt in range(1, settings.menu_retries + 1):
        call.play("request/intro")
        recording = record(call)

        if worth_keeping(call, recording):
            ticket_id, code = create_ticket(call, recording)
            if recording.hung_up:
                raise ChannelHungUp("hangup during recording; ticket kept")
            if not call.caller_id:
                ask_for_number(call, ticket_id)
            read_back(call, code)
            call.goodbye()
            return None

        discard(call, recording)
        if recording.hung_up:
            raise ChannelHungUp("hangup before anything was recorded")
        call.step("invalid", f"short:{recording.seconds:.2f}")
        if attempt < settings.menu_retries:
            call.play("request/too_short")

    # Said before the move: what happens next, and why when closed.
    call.finish(CallOutcome.UNSERVED, "leave_request:nothing_recorded")
    if call.center_status().is_open:
        call.play_all(["request/failed", "menu/next_operator"])
        return perform(call, "operator")
    call.play_all(["request/failed", "menu/next_closed", "request/call_again"])
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


def spooled_file(call: CallContext, recording: Recording) -> Path:
    """The recording as this process sees the spool folder."""
    return call.settings.spool_local_path / f"{Path(recording.path).name}.wav"


def worth_keeping(call: CallContext, recording: Recording) -> bool:
    """Long enough, and with a voice in it: an open line or a caller who
    says nothing after the beep is not a request."""
    settings = call.settings
    if recording.seconds < settings.min_recording_seconds:
        return False

    voice = speech_seconds(spooled_file(call, recording))
    if voice is None:
        # The spool is not visible from here (Asterisk on another host
        # without a shared folder): the length alone decides.
        return True
    call.step("record", f"voice {voice:.2f}s")
    return voice >= settings.min_voice_seconds


def discard(call: CallContext, recording: Recording) -> None:
    """Delete a take that is not kept: personal audio with no ticket must
    not stay in the spool. Best effort: a file left behind is logged."""
    spooled = spooled_file(call, recording)
    try:
        spooled.unlink(missing_ok=True)
    except OSError as error:
        call.log.debug("recording %s not deleted: %s", spooled.name, error)
        return
    call.log.debug("recording %s deleted: too short to keep", spooled.name)


def create_ticket(call: CallContext, recording: Recording) -> tuple[int, str]:
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
        # A withheld number gets its SMS once ask_for_number has one.
        notice = record_notification(
            session, ticket, NotificationKind.TICKET_CREATED, call.settings
        )

    call.step("action", f"ticket:{code}")
    call.finish(CallOutcome.REQUEST_LEFT, code)
    call.log.info("call left request %s (%.2f s)", code, recording.seconds)

    enqueue_recording(ticket_id, call.settings, call.channel.uniqueid)
    enqueue_notification(notice, call.settings, call.channel.uniqueid)
    return ticket_id, code


def valid_callback_number(typed: str) -> str | None:
    """A typed number normalized, if it is one a center can call: an Iranian
    number of 11 digits from 0 (mobile 09..., landline with area code)."""
    try:
        number = normalize_phone(typed)
    except InvalidPhoneNumber:
        return None
    if len(number) != 11 or not number.startswith("0") or number.startswith("00"):
        return None
    return number


def ask_for_number(call: CallContext, ticket_id: int) -> None:
    """Ask a caller without caller id for a number to reach them."""
    for _ in range(call.settings.menu_retries):
        typed = read_digits(call, "request/enter_phone", PHONE_MAX_DIGITS)
        if not typed:
            call.step("timeout", "request/enter_phone")
            break

        # A phone number stays out of the call record.
        call.step("key", "*" * len(typed))
        number = valid_callback_number(typed)
        if number is None:
            call.step("invalid", "phone_number")
            call.play("request/phone_invalid")
            continue

        with call.session() as session:
            ticket = set_caller_number(session, session.get(Ticket, ticket_id), number)
            notice = record_notification(
                session, ticket, NotificationKind.TICKET_CREATED, call.settings
            )
        enqueue_notification(notice, call.settings, call.channel.uniqueid)
        call.step("action", "caller_number")
        call.play("request/phone_saved")
        return

    call.play("request/status_at_office")


def read_back(
    call: CallContext, code: str, opening: str = "request/registered"
) -> None:
    """The opening prompt, then the tracking code digit by digit, twice."""
    call.play(opening)
    call.play("request/your_code")
    call.play_all(digit_fragments(code))
    call.play("request/code_again")
    call.play_all(digit_fragments(code))
