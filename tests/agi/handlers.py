"""Test-only AGI handlers: they exercise the channel API the flows use.

keep_recording is a small "leave a message" call: greet, record, thank.
Whatever happens on the line, it keeps what was captured, the way a flow
must (a ticket for a recording cut short by a hangup). The agi_scripts/ivr.py
subprocess reaches it through CALLCENTER_AGI_HANDLER, and reports what it
kept in the JSON file named by AGI_TEST_OUTPUT.
"""

from __future__ import annotations

import json
import os
import tempfile

from ivr.agi.channel import Channel
from ivr.agi.errors import ChannelHungUp

KEPT: list[dict] = []

LABEL = 'درخواست «تمدید» با "نقل قول"'


def keep_recording(channel: Channel) -> None:
    spool = os.environ.get("AGI_TEST_SPOOL", tempfile.gettempdir())
    kept: dict = {"uniqueid": channel.uniqueid, "hung_up": False}
    try:
        channel.answer()
        channel.verbose(f"پیام تماس‌گیرنده: {LABEL}")
        channel.set_variable("CALL_LABEL", LABEL)
        kept["label"] = channel.get_variable("CALL_LABEL")
        channel.stream_file("callcenter/fa/request/intro")

        recording = channel.record_file(
            os.path.join(spool, f"{channel.uniqueid}-1"), 180000, silence_s=3
        )
        kept["recording"] = {
            "path": recording.path + ".wav",
            "samples": recording.samples,
            "hung_up": recording.hung_up,
            "digit": recording.digit,
        }
        channel.stream_file("callcenter/fa/request/thanks")
    except ChannelHungUp:
        kept["hung_up"] = True
    finally:
        # Post-call work: only what a dead channel allows goes out.
        try:
            channel.set_variable("IVR_RESULT", "kept")
            kept["cleanup"] = "done"
        except ChannelHungUp:
            kept["cleanup"] = "hung up"
        _keep(kept)


def read_variable(channel: Channel) -> None:
    """Reads one variable, then plays a prompt; keeps what it saw."""
    kept: dict = {"uniqueid": channel.uniqueid, "hung_up": False}
    try:
        kept["value"] = channel.get_variable("TICKET_ID")
        channel.stream_file("callcenter/fa/status/read")
    except ChannelHungUp as hangup:
        kept["hung_up"] = True
        kept["reply_data"] = hangup.reply.data if hangup.reply else None
    finally:
        channel.verbose("cleanup after read_variable")
        kept["cleanup"] = "done"
        _keep(kept)


def _keep(kept: dict) -> None:
    KEPT.append(kept)
    output = os.environ.get("AGI_TEST_OUTPUT")
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            json.dump(kept, handle, ensure_ascii=False)
