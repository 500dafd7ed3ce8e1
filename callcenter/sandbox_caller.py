"""A scripted citizen on the sandbox Asterisk, who reacts to what the IVR does.

The call is an AMI Originate on a Local channel: the `;2` half runs the IVR,
the `;1` half sits in [sandbox-caller] (tests/e2e/callers.conf) and runs
the steps it is given. Instead of guessing how long prompts last, the
caller waits for the IVR's own AGI commands (AMI AGIExecStart events of the
IVR half: "STREAM FILE callcenter/fa/main/menu", "RECORD FILE", "GET
DATA"...) and then acts: keys, a WAV played as speech, a hangup.
"""

from __future__ import annotations

import logging
import uuid

from callcenter.ami import AmiClient, AmiError
from callcenter.persian import mask_phone

logger = logging.getLogger(__name__)

CALLER_CONTEXT = "sandbox-caller"


class ScriptedCall:
    def __init__(self, ami: AmiClient, uniqueid: str) -> None:
        self.ami = ami
        self.uniqueid = uniqueid
        self.ivr_uniqueid = f"{uniqueid};2"
        self.caller_channel = ""
        self._since = 0

    @classmethod
    def place(
        cls,
        ami: AmiClient,
        caller_id: str,
        ivr_context: str = "ivr",
        first_steps: str = "",
        timeout: float = 15,
        name: str = "sandbox",
        uniqueid: str = "",
    ) -> ScriptedCall:
        """Originate the call; return once both halves exist. The caller
        half's uniqueid is uniqueid, by default <name>-<random>; the IVR's
        is that plus ";2"."""
        call = cls(ami, uniqueid or f"{name}-{uuid.uuid4().hex[:12]}")
        call._since = ami.mark()
        ami.originate_local(
            ivr_context,
            CALLER_CONTEXT,
            {"CALLER_SCRIPT": first_steps},
            caller_id,
            uniqueid=call.uniqueid,
        )
        created = ami.wait_for_event(
            lambda e: (
                e.name == "Newchannel" and e.keys.get("Uniqueid") == call.uniqueid
            ),
            timeout,
            call._since,
        )
        call.caller_channel = created.keys["Channel"]
        logger.info(
            "sandbox call %s: placed as %s", call.uniqueid, mask_phone(caller_id)
        )
        return call

    def wait_for_command(self, prefix: str, timeout: float = 60) -> str:
        """Wait for the IVR's next AGI command that starts with prefix (e.g.
        "RECORD FILE"); commands seen earlier by this method are skipped.

        Returns the command line. A hangup of the IVR first is an AmiError.
        """

        def matches(event) -> bool:
            if event.keys.get("Uniqueid") != self.ivr_uniqueid:
                return False
            if event.name == "Hangup":
                return True
            # Arguments may come quoted; compare without the quotes.
            command = event.keys.get("Command", "").replace('"', "")
            return event.name == "AGIExecStart" and command.startswith(prefix)

        seq, event = self.ami.wait_for_numbered(matches, timeout, self._since)
        self._since = seq + 1
        if event.name == "Hangup":
            raise AmiError(f"the IVR hung up before {prefix!r}")
        return event.keys["Command"]

    def run(self, steps: str) -> None:
        """Give the caller its next steps (w/d/p/h, see callers.conf)."""
        self.ami.action(
            "Setvar",
            Channel=self.caller_channel,
            Variable="CALLER_SCRIPT",
            Value=steps,
        )
        self.ami.action(
            "Redirect",
            Channel=self.caller_channel,
            Context=CALLER_CONTEXT,
            Exten="s",
            Priority="1",
        )

    def when(self, prefix: str, steps: str, timeout: float = 60) -> str:
        """At the IVR's next command starting with prefix, run steps."""
        command = self.wait_for_command(prefix, timeout)
        self.run(steps)
        return command

    def wait_ended(self, timeout: float = 120) -> None:
        """Wait until the IVR half has hung up."""
        self.ami.wait_for_event(
            lambda e: (
                e.name == "Hangup" and e.keys.get("Uniqueid") == self.ivr_uniqueid
            ),
            timeout,
            self._since,
        )

    def hang_up(self) -> None:
        """The caller hangs up now."""
        self.ami.action("Hangup", Channel=self.caller_channel)
