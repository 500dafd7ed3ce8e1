"""A call's channel as the flows see it, over any AGI transport.

Flows never write protocol text: they call the methods here, which quote
arguments, read Asterisk's reply and turn hangups into ChannelHungUp. The
transport (a FastAGI socket, or stdin/stdout through pyst2 in a
process-per-call script) only moves lines; see AgiTransport.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from callcenter.logs import call_logger
from ivr.agi.errors import ChannelHungUp, CommandFailed

logger = logging.getLogger(__name__)

# Commands that Asterisk still accepts once the caller has hung up; anything
# else on a dead channel would only earn a 511.
DEAD_CHANNEL_COMMANDS = frozenset(
    {
        "GET VARIABLE",
        "GET FULL VARIABLE",
        "SET VARIABLE",
        "VERBOSE",
        "NOOP",
        "DATABASE GET",
        "DATABASE PUT",
        "DATABASE DEL",
    }
)


@dataclass
class AgiReply:
    """One reply to one command, as parsed from Asterisk's line(s)."""

    code: int
    result: str = ""
    data: str = ""
    endpos: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    raw: str = ""
    hangup: bool = False


@dataclass
class Recording:
    """What RECORD FILE left: samples written, the key that ended it, and
    whether the caller hung up (the audio is still there)."""

    path: str
    samples: int
    digit: str = ""
    hung_up: bool = False
    sample_rate: int = 8000

    @property
    def seconds(self) -> float:
        return self.samples / self.sample_rate


class AgiTransport:
    """Moves one command line out and its reply back.

    send() returns the parsed reply; it raises ChannelHungUp when the input
    ended or a bare HANGUP line came and no reply can follow.
    """

    def send(self, line: str) -> AgiReply:
        raise NotImplementedError

    def close(self) -> None:
        """Release the socket or stream; called once when the flow ends."""


def quote(value: object) -> str:
    """One AGI argument: double-quoted, with quotes and backslashes escaped."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r", " ").replace("\n", " ")
    return f'"{text}"'


class Channel:
    """The caller's channel: its AGI environment and the commands on it."""

    def __init__(self, transport: AgiTransport, env: dict[str, str]):
        self.transport = transport
        self.env = env
        self.hung_up = False
        self.log = call_logger(logger, self.uniqueid)

    # The AGI environment ----------------------------------------------------

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def channel_name(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def caller_id(self) -> str:
        number = self.env.get("agi_callerid", "")
        return "" if number in {"unknown", "anonymous"} else number

    @property
    def caller_name(self) -> str:
        name = self.env.get("agi_calleridname", "")
        return "" if name == "unknown" else name

    @property
    def script(self) -> str:
        """The flow name: agi://host/<script> or the script file's name."""
        return self.env.get("agi_network_script") or self.env.get("agi_request", "")

    @property
    def arguments(self) -> list[str]:
        found = []
        index = 1
        while f"agi_arg_{index}" in self.env:
            found.append(self.env[f"agi_arg_{index}"])
            index += 1
        return found

    # Sending ------------------------------------------------------------------

    def command(self, name: str, *args: str) -> AgiReply:
        """Send a command whose arguments are already formatted.

        After a hangup only DEAD_CHANNEL_COMMANDS go out; others raise
        ChannelHungUp at once, without touching the wire.
        """
        if self.hung_up and name not in DEAD_CHANNEL_COMMANDS:
            raise ChannelHungUp(f"{name} not sent: channel is gone")

        line = " ".join([name, *args]).strip()
        self.log.debug("agi >> %s", line)
        try:
            reply = self.transport.send(line)
        except ChannelHungUp:
            self.hung_up = True
            raise
        self.log.debug("agi << %s", _loggable(name, reply.raw))

        if reply.hangup:
            self.hung_up = True
            raise ChannelHungUp(f"hangup during {name}", reply)
        return reply

    # Commands -----------------------------------------------------------------

    def answer(self) -> None:
        self._check(self.command("ANSWER"))

    def hangup(self) -> None:
        if not self.hung_up:
            self.command("HANGUP")
            self.hung_up = True

    def stream_file(self, sound: str, escape_digits: str = "") -> str:
        """Play a sound; return the key that interrupted it, or ''."""
        reply = self.command("STREAM FILE", sound, quote(escape_digits))
        return self._digit(self._check(reply))

    def wait_for_digit(self, timeout_ms: int) -> str:
        """Wait for one key; '' when the time ran out."""
        reply = self.command("WAIT FOR DIGIT", str(int(timeout_ms)))
        return self._digit(self._check(reply))

    def get_data(self, sound: str, timeout_ms: int, max_digits: int) -> str:
        """Play a sound and read up to max_digits keys ended by '#'."""
        reply = self.command("GET DATA", sound, str(timeout_ms), str(max_digits))
        self._check(reply)
        return reply.result.strip()

    def record_file(
        self,
        path: str,
        max_ms: int,
        silence_s: int = 0,
        escape_digits: str = "#",
        fmt: str = "wav",
        beep: bool = True,
    ) -> Recording:
        """Record the caller into path.<fmt> until a key, silence or max_ms.

        A hangup does not raise here: the recording is returned with
        hung_up=True and the channel is marked dead, because what was said
        before the hangup is the caller's request and must be kept.
        """
        args = [quote(path), fmt, quote(escape_digits), str(int(max_ms))]
        if beep:
            args += ["0", "beep"]
        if silence_s:
            args.append(f"s={int(silence_s)}")

        try:
            reply = self.command("RECORD FILE", *args)
        except ChannelHungUp as hangup:
            reply = hangup.reply
            samples = reply.endpos if reply and reply.endpos else 0
            return Recording(path, samples, hung_up=True)

        self._check(reply)
        return Recording(path, reply.endpos or 0, digit=self._digit(reply))

    def set_variable(self, name: str, value: object) -> None:
        self.command("SET VARIABLE", name, quote(value))

    def get_variable(self, name: str) -> str | None:
        reply = self.command("GET VARIABLE", name)
        return reply.data if reply.result == "1" else None

    def verbose(self, message: str, level: int = 1) -> None:
        self.command("VERBOSE", quote(message), str(level))

    def exec_app(self, application: str, options: str = "") -> str:
        """Run a dialplan application (e.g. Playback) and return its result."""
        reply = self.command("EXEC", application, quote(options))
        return self._check(reply).result

    # Reply helpers ------------------------------------------------------------

    @staticmethod
    def _check(reply: AgiReply) -> AgiReply:
        if reply.result == "-1":
            raise CommandFailed(reply.raw)
        return reply

    @staticmethod
    def _digit(reply: AgiReply) -> str:
        code = int(reply.result or 0)
        return chr(code) if code > 0 else ""


# GET DATA returns what the caller typed: a callback number, the last four
# digits of one. Debug logs get the length, not the digits.
_TYPED = re.compile(r"(result=)(\S+)")


def _loggable(command: str, raw: str) -> str:
    if command != "GET DATA":
        return raw
    return _TYPED.sub(lambda match: match.group(1) + "*" * len(match.group(2)), raw)
