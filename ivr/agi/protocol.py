"""The AGI wire format: the environment block, replies, command lines.

Reply forms follow Asterisk 22's res_agi.c:

    200 result=1                        200 result=0 endpos=12345
    200 result= (timeout)               200 result=12 (timeout)
    200 result=-1 (hangup) endpos=25280 200 result=1 (a value with spaces)
    510 Invalid or unknown command
    511 Command Not Permitted on a dead channel or intercept routine
    520-Invalid command syntax.  Proper usage follows:
    ...usage text...
    520 End of proper usage.
    HANGUP                              (FastAGI, before the pending reply)

Bytes are read and written as UTF-8 whatever the process locale, so a
Persian argument survives a script that Asterisk starts under LANG=C.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from ivr.agi.channel import DEAD_CHANNEL_COMMANDS, AgiReply, AgiTransport
from ivr.agi.errors import (
    AgiError,
    ChannelHungUp,
    DeadChannel,
    InvalidCommand,
    UsageError,
)

logger = logging.getLogger(__name__)

Readline = Callable[[], bytes | str]

# An environment larger than this is not from Asterisk (it sends ~20 lines
# plus one per AGI() argument); stop before it eats memory.
MAX_ENV_LINES = 1000

USAGE_END = "520 End of proper usage."

_RESULT = re.compile(r"^result=(?P<result>\S*)(?P<rest>.*)$")
_DATA_THEN_FIELDS = re.compile(r"^ \((?P<data>.*)\)(?P<fields>(?: \w+=\S*)*)$")
_FIELD = re.compile(r"(\w+)=(\S*)")


def _text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return raw


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def read_env(readline: Readline) -> dict[str, str]:
    """Read the agi_* block up to its blank line.

    End of input before the blank line means the call is already gone.
    """
    env: dict[str, str] = {}
    for _ in range(MAX_ENV_LINES):
        raw = readline()
        if not raw:
            raise ChannelHungUp("input ended inside the AGI environment")

        line = _strip_eol(_text(raw))
        if not line.strip():
            return env

        key, colon, value = line.partition(":")
        if not colon:
            logger.debug("agi env: ignoring line without a colon: %r", line)
            continue
        env[key.strip()] = value.strip()
    raise AgiError(f"AGI environment longer than {MAX_ENV_LINES} lines")


def parse_reply_line(line: str) -> AgiReply:
    """Parse one `200 result=...` line (no HANGUP, no 5xx)."""
    code_text, _, rest = line.partition(" ")
    if not code_text.isascii() or not code_text.isdigit():
        raise AgiError(f"AGI reply without a status code: {line!r}")

    reply = AgiReply(code=int(code_text), raw=line)
    match = _RESULT.match(rest)
    if not match:
        return reply

    reply.result = match["result"]
    tail = match["rest"]
    if tail.startswith(" ("):
        # The data may itself hold spaces and parentheses (a variable's
        # value); only key=value fields may follow its closing parenthesis.
        framed = _DATA_THEN_FIELDS.match(tail)
        if framed:
            reply.data = framed["data"]
            tail = framed["fields"]
        else:
            closing = tail.rfind(")")
            reply.data = tail[2:closing] if closing > 1 else tail[2:]
            tail = tail[closing + 1 :] if closing > 1 else ""

    reply.fields = dict(_FIELD.findall(tail))
    endpos = reply.fields.get("endpos", "")
    if endpos.lstrip("-").isdigit():
        reply.endpos = int(endpos)

    # Only -1 with "(hangup)" is Asterisk's hangup form; a variable whose
    # value happens to be "hangup" reads back as result=1 (hangup).
    reply.hangup = reply.result == "-1" and reply.data == "hangup"
    return reply


def read_reply(readline: Readline) -> AgiReply:
    """Read Asterisk's answer to one command.

    A bare HANGUP line before the answer is remembered and the answer is
    still read; the reply then has hangup=True. 511 raises DeadChannel,
    510 InvalidCommand, 520 UsageError, end of input ChannelHungUp.
    """
    hangup_line = False
    while True:
        raw = readline()
        if not raw:
            raise ChannelHungUp("input ended while waiting for a reply")

        line = _strip_eol(_text(raw))
        if line.strip() == "HANGUP":
            hangup_line = True
            continue
        if not line.strip():
            continue
        break

    try:
        reply = _classify(line, readline)
    except (InvalidCommand, UsageError) as error:
        if not hangup_line:
            raise
        # The caller is gone; the bad command is the flow's bug, but what
        # the call must do now is clean up.
        logger.warning("agi reply after hangup: %s", error)
        raise ChannelHungUp("hangup (and a rejected command)") from error
    reply.hangup = reply.hangup or hangup_line
    return reply


def _classify(line: str, readline: Readline) -> AgiReply:
    if line.startswith("511"):
        reply = AgiReply(code=511, raw=line, hangup=True)
        raise DeadChannel(line[4:] or "command not permitted on a dead channel", reply)
    if line.startswith("510"):
        raise InvalidCommand(line[4:] or line)
    if line.startswith("520-"):
        raise UsageError(_read_usage(readline))
    if line.startswith("520"):
        raise UsageError(line[4:] or line)
    if line.startswith("200"):
        return parse_reply_line(line)
    raise AgiError(f"unexpected AGI reply: {line!r}")


def _read_usage(readline: Readline) -> str:
    usage: list[str] = []
    while True:
        raw = readline()
        if not raw:
            raise ChannelHungUp("input ended inside a 520 usage text")
        line = _strip_eol(_text(raw))
        if line.startswith("520 "):
            break
        # Asterisk writes the usage with "%s" and no newline of its own, so
        # the closing line can be glued to the text's last line.
        if line.endswith(USAGE_END):
            usage.append(line[: -len(USAGE_END)])
            break
        usage.append(line)
    return "\n".join(usage).strip("\n")


def encode_command(line: str) -> bytes:
    """One command line as UTF-8 bytes; a newline inside would split it."""
    flat = line.replace("\r", " ").replace("\n", " ").strip()
    return flat.encode("utf-8") + b"\n"


def parse_args(line: str) -> list[str]:
    """Split a command line the way Asterisk's parse_args does.

    Spaces and tabs separate words unless quoted; a double quote toggles
    quoting; a backslash makes the next character literal.
    """
    words: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    in_word = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            in_word = True
            continue
        if char in " \t" and not quoted and not escaped:
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        current.append(char)
        in_word = True
        escaped = False
    if in_word:
        words.append("".join(current))
    return words


def command_name(line: str) -> str:
    """The command's words in upper case, without its arguments."""
    words = line.split()
    for size in (3, 2, 1):
        name = " ".join(words[:size]).upper()
        if name in KNOWN_COMMANDS:
            return name
    return " ".join(words[:1]).upper()


KNOWN_COMMANDS = frozenset(
    {
        "ANSWER",
        "CHANNEL STATUS",
        "CONTROL STREAM FILE",
        "DATABASE DEL",
        "DATABASE DELTREE",
        "DATABASE GET",
        "DATABASE PUT",
        "EXEC",
        "GET DATA",
        "GET FULL VARIABLE",
        "GET OPTION",
        "GET VARIABLE",
        "HANGUP",
        "NOOP",
        "RECEIVE CHAR",
        "RECEIVE TEXT",
        "RECORD FILE",
        "SAY ALPHA",
        "SAY DATE",
        "SAY DATETIME",
        "SAY DIGITS",
        "SAY NUMBER",
        "SAY PHONETIC",
        "SAY TIME",
        "SEND IMAGE",
        "SEND TEXT",
        "SET AUTOHANGUP",
        "SET CALLERID",
        "SET CONTEXT",
        "SET EXTENSION",
        "SET MUSIC",
        "SET PRIORITY",
        "SET VARIABLE",
        "STREAM FILE",
        "TDD MODE",
        "VERBOSE",
        "WAIT FOR DIGIT",
    }
)

# Commands whose result=-1 is never a hangup, so no probe follows them.
_NO_PROBE = DEAD_CHANNEL_COMMANDS | {"HANGUP"}


def _is_hangup_result(reply: AgiReply) -> bool:
    return reply.result == "-1" and reply.data == "hangup"


class LineTransport(AgiTransport):
    """AGI over a byte stream pair: write a line, read the reply.

    result=-1 from a media command (STREAM FILE, WAIT FOR DIGIT, GET DATA,
    EXEC...) means "failed or hung up", and Asterisk says which only around
    the next command: a HANGUP line before its reply (FastAGI) or a SIGHUP
    (a script). So such a reply is followed by a NOOP, which is valid on a
    dead channel, and marked hangup=True when the NOOP finds the channel
    gone. With AGISIGHUP=no Asterisk sends neither: the reply then stays a
    failure, and the flow's next command meets the 511.
    """

    def __init__(self, readline: Readline, write: Callable[[bytes], object]):
        self._readline = readline
        self._write = write
        self._hangup_reported = False

    def send(self, line: str) -> AgiReply:
        try:
            reply = self._exchange(line)
            if self._may_be_hangup(line, reply):
                reply.hangup = self._channel_gone()
        except ChannelHungUp:
            self._hangup_reported = True
            raise

        if self._signalled_hangup():
            reply.hangup = True
        if reply.hangup:
            # Tell the channel once. The HANGUP line that Asterisk writes
            # after a RECORD FILE hangup reply is old news, and must not
            # stop the dead-channel commands of the call's cleanup.
            if self._hangup_reported and not _is_hangup_result(reply):
                reply.hangup = False
            self._hangup_reported = True
        return reply

    def _signalled_hangup(self) -> bool:
        """Whether a hangup came outside the replies (SIGHUP); see pyst2."""
        return False

    def _exchange(self, line: str) -> AgiReply:
        try:
            self._write(encode_command(line))
        except (OSError, ValueError) as error:
            # OSError covers a broken pipe and a reset connection; ValueError
            # is a stream already closed on our side.
            raise ChannelHungUp(f"cannot send to Asterisk: {error}") from None
        return read_reply(self._readline)

    @staticmethod
    def _may_be_hangup(line: str, reply: AgiReply) -> bool:
        return (
            reply.code == 200
            and reply.result == "-1"
            and not reply.hangup
            and command_name(line) not in _NO_PROBE
        )

    def _channel_gone(self) -> bool:
        try:
            probe = self._exchange("NOOP")
        except ChannelHungUp:
            return True
        return probe.hangup or self._signalled_hangup()
