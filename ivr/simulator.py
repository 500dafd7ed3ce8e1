"""A call without Asterisk: Asterisk's side of FastAGI, byte for byte.

The simulator connects to a FastAGI server, sends the environment block as
Asterisk 22 does and answers each command with the line(s) res_agi.c
writes, including the hangup forms: a media command cut short answers
`200 result=-1 ...` (RECORD FILE: `200 result=-1 (hangup) endpos=N`) and
then a bare `HANGUP` line; a hangup between commands is a `HANGUP` line
before the reply; on the dead channel only the commands Asterisk allows
there are served, the others get 511.

The caller is a list of events, consumed by the commands that listen:
  "1", "123#"      keys; a STREAM FILE takes one if it is an escape digit,
                   WAIT FOR DIGIT takes one, GET DATA collects up to '#' or
                   its maximum, RECORD FILE ends on an escape key (or
                   at its maximum length: longer speech is cut there and
                   a later key is left for the next command)
  "wait"           the caller stays silent: the listening command times out
  "hangup"         the caller hangs up at the next command
  "record:<wav>"   what the caller says to the next RECORD FILE
When the events run out, the caller hangs up at the next command that
waits for them (interactive mode asks the terminal instead).

Known differences from Asterisk (checked against the replies recorded in
tests/agi/asterisk22_trace.txt): a 520's usage text is a short line of our
own, not Asterisk's XML documentation; prompts last a nominal two seconds
unless sounds_root names the sound files (then a missing one is listed in
missing_prompts, not as played); RECORD FILE writes WAV, other
formats as raw samples; the SPEECH, SAY DATE/TIME, RECEIVE and TDD commands
are not simulated and get 510.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.persian import normalize_digits
from ivr.agi.protocol import parse_args

logger = logging.getLogger(__name__)

ASTERISK_VERSION = "22.10.1+dfsg+~cs6.17.60671434-1"
SAMPLE_RATE = 8000
# Without a sounds folder every prompt is taken to be two seconds long.
NOMINAL_PROMPT_SAMPLES = 2 * SAMPLE_RATE
# RECORD FILE cuts this much audio when a key ends it (the key's tone).
DTMF_TRIM_MS = 200

HANGUP_FORMS = ("reply", "line")
DEAD_511 = "511 Command Not Permitted on a dead channel or intercept routine"
USAGE_HEAD = "520-Invalid command syntax.  Proper usage follows:"
USAGE_TAIL = "520 End of proper usage."

_KEYS = re.compile(r"^[0-9*#A-Da-d]+$")
_uniqueids = itertools.count(1)


class SimulatorError(Exception):
    """The simulated call could not run as scripted."""


def check_wav(path: str) -> None:
    """ValueError, saying why, unless path is a WAV file the simulator can
    play as the caller's voice."""
    if not Path(path).is_file():
        raise ValueError(f"no such WAV file {path!r}")
    try:
        with wave.open(path, "rb") as audio:
            audio.getnframes()
    except (wave.Error, EOFError) as error:
        raise ValueError(f"{path!r} is not a WAV file ({error})") from None


def parse_events(text: str | Iterable[str]) -> list[str]:
    """Events from "3,1234567890#,wait" (or a list); a bad one is an error."""
    items = text.split(",") if isinstance(text, str) else list(text)
    events = []
    for item in items:
        event = normalize_digits(item.strip())
        if not event:
            continue
        if event in {"wait", "hangup"} or _KEYS.match(event):
            events.append(event.upper() if _KEYS.match(event) else event)
        elif event.startswith("record:") and len(event) > len("record:"):
            check_wav(event[len("record:") :])
            events.append(event)
        else:
            raise ValueError(
                f"unknown event {item!r}: use keys (0-9 * # A-D), wait, "
                "hangup or record:<file.wav>"
            )
    return events


@dataclass
class RecordedFile:
    path: str
    samples: int
    ended_by: str


@dataclass
class SimulatedCall:
    """What happened on the simulated channel, in order."""

    env: dict[str, str]
    commands: list[str] = field(default_factory=list)
    raw_commands: list[bytes] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    # Sounds asked for but not found under sounds_root: not played.
    missing_prompts: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    verbose: list[str] = field(default_factory=list)
    applications: list[tuple[str, str]] = field(default_factory=list)
    recordings: list[RecordedFile] = field(default_factory=list)
    answered: bool = False
    caller_hung_up: bool = False
    hangup_command: int | None = None
    ivr_hung_up: bool = False
    events_left: list[str] = field(default_factory=list)
    exit_status: int | None = None
    stderr: str = ""

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    def prompt_names(self, sound_prefix: str = "") -> list[str]:
        """Prompts played, without the sound prefix (callcenter/fa/...)."""
        head = sound_prefix.rstrip("/") + "/" if sound_prefix else ""
        return [p[len(head) :] if p.startswith(head) else p for p in self.prompts]

    def missing_names(self, sound_prefix: str = "") -> list[str]:
        """Prompts that could not be played (no sound file)."""
        head = sound_prefix.rstrip("/") + "/" if sound_prefix else ""
        return [
            p[len(head) :] if p.startswith(head) else p for p in self.missing_prompts
        ]

    def commands_after_hangup(self) -> list[str]:
        if self.hangup_command is None:
            return []
        return self.commands[self.hangup_command :]

    def summary(self, sound_prefix: str = "") -> str:
        lines = [f"call {self.uniqueid}: {len(self.commands)} AGI commands"]
        lines += [f"  played  {name}" for name in self.prompt_names(sound_prefix)]
        lines += [
            f"  MISSING {name} (no sound file: not played)"
            for name in self.missing_names(sound_prefix)
        ]
        lines += [f"  set     {k}={v}" for k, v in self.variables.items()]
        lines += [
            f"  record  {r.path} ({r.samples / SAMPLE_RATE:.1f} s, {r.ended_by})"
            for r in self.recordings
        ]
        if self.caller_hung_up:
            lines.append(f"  caller hung up at command {self.hangup_command}")
        elif self.ivr_hung_up:
            lines.append("  the IVR hung up")
        else:
            lines.append("  the IVR ended the AGI session")
        return "\n".join(lines)


class Caller:
    """The caller's events; an ask() callable refills them (interactive)."""

    def __init__(self, events: Iterable[str] = (), ask: Callable | None = None):
        self.queue = list(events)
        self.ask = ask

    def peek(self, listening: bool) -> str | None:
        if not self.queue and listening and self.ask is not None:
            self.queue.extend(self.ask())
        return self.queue[0] if self.queue else None

    def pop(self) -> str:
        return self.queue.pop(0)

    def peek_key(self, listening: bool) -> str | None:
        event = self.peek(listening)
        return event[0] if event and _KEYS.match(event) else None

    def take_key(self) -> str:
        event = self.queue[0]
        if len(event) == 1:
            self.queue.pop(0)
        else:
            self.queue[0] = event[1:]
        return event[0]


class _Hangup(Exception):
    """The caller hung up during the command being answered."""

    def __init__(self, reply: str):
        self.reply = reply


@dataclass
class _Command:
    words: tuple[str, ...]
    handler: str
    dead_ok: bool = False
    media: bool = False


_COMMANDS = [
    _Command(("ANSWER",), "answer_channel"),
    _Command(("CHANNEL", "STATUS"), "channel_status"),
    _Command(("CONTROL", "STREAM", "FILE"), "control_stream_file", media=True),
    _Command(("DATABASE", "DEL"), "database_del", dead_ok=True),
    _Command(("DATABASE", "DELTREE"), "database_deltree", dead_ok=True),
    _Command(("DATABASE", "GET"), "database_get", dead_ok=True),
    _Command(("DATABASE", "PUT"), "database_put", dead_ok=True),
    _Command(("EXEC",), "exec", dead_ok=True, media=True),
    _Command(("GET", "DATA"), "get_data", media=True),
    _Command(("GET", "FULL", "VARIABLE"), "get_full_variable", dead_ok=True),
    _Command(("GET", "OPTION"), "get_option", media=True),
    _Command(("GET", "VARIABLE"), "get_variable", dead_ok=True),
    _Command(("HANGUP",), "hangup"),
    _Command(("NOOP",), "noop", dead_ok=True),
    _Command(("RECORD", "FILE"), "record_file", media=True),
    _Command(("SAY", "ALPHA"), "say", media=True),
    _Command(("SAY", "DIGITS"), "say", media=True),
    _Command(("SAY", "NUMBER"), "say", media=True),
    _Command(("SAY", "PHONETIC"), "say", media=True),
    _Command(("SET", "AUTOHANGUP"), "zero"),
    _Command(("SET", "CALLERID"), "one"),
    _Command(("SET", "CONTEXT"), "zero"),
    _Command(("SET", "EXTENSION"), "zero"),
    _Command(("SET", "MUSIC"), "zero"),
    _Command(("SET", "PRIORITY"), "zero"),
    _Command(("SET", "VARIABLE"), "set_variable", dead_ok=True),
    _Command(("STREAM", "FILE"), "stream_file", media=True),
    _Command(("VERBOSE",), "verbose", dead_ok=True),
    _Command(("WAIT", "FOR", "DIGIT"), "wait_for_digit", media=True),
]

_USAGE = {
    "channel_status": "Usage: CHANNEL STATUS [<channelname>]",
    "control_stream_file": "Usage: CONTROL STREAM FILE <filename> <escape_digits>"
    " [<skipms>] [<ffchar>] [<rewchr>] [<pausechr>]",
    "database_del": "Usage: DATABASE DEL <family> <key>",
    "database_get": "Usage: DATABASE GET <family> <key>",
    "database_put": "Usage: DATABASE PUT <family> <key> <value>",
    "exec": "Usage: EXEC <application> <options>",
    "get_data": "Usage: GET DATA <file to be streamed> [<timeout>] [<maxdigits>]",
    "get_full_variable": "Usage: GET FULL VARIABLE <variablename> [<channel name>]",
    "get_option": "Usage: GET OPTION <filename> <escape_digits> [<timeout>]",
    "get_variable": "Usage: GET VARIABLE <variablename>",
    "hangup": "Usage: HANGUP [<channelname>]",
    "record_file": "Usage: RECORD FILE <filename> <format> <escape_digits> <timeout>"
    " [<offset samples>] [BEEP] [s=<silence>]",
    "say": "Usage: SAY <kind> <what> <escape_digits>",
    "stream_file": "Usage: STREAM FILE <filename> <escape_digits> [<sample offset>]",
    "verbose": "Usage: VERBOSE <message> <level>",
    "wait_for_digit": "Usage: WAIT FOR DIGIT <timeout>",
}


class _UsageError(Exception):
    pass


def _find_command(words: list[str]) -> _Command | None:
    upper = [word.upper() for word in words]
    for command in _COMMANDS:
        size = len(command.words)
        if tuple(upper[:size]) == command.words:
            return command
    return None


class AsteriskSimulator:
    """One simulated call against a FastAGI server; run() returns it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4573,
        flow: str = "main",
        events: Iterable[str] = (),
        caller_id: str = "09120000000",
        caller_name: str = "",
        arguments: Iterable[str] = (),
        uniqueid: str | None = None,
        variables: dict[str, str] | None = None,
        default_recording: str | None = None,
        hangup_at: int | None = None,
        hangup_form: str = "reply",
        sounds_root: str | None = None,
        spool_map: tuple[str, str] | None = None,
        timeout: float = 30.0,
        max_commands: int = 5000,
        ask: Callable[[], list[str]] | None = None,
        on_prompt: Callable[[str], None] | None = None,
    ):
        if hangup_form not in HANGUP_FORMS:
            raise ValueError(f"hangup_form must be one of {HANGUP_FORMS}")
        self.host, self.port, self.flow = host, port, flow
        self.caller = Caller(events, ask)
        self.caller_id = caller_id
        self.caller_name = caller_name
        self.arguments = list(arguments)
        # Asterisk's uniqueid is epoch.sequence; the pid keeps simulators
        # running at the same second in different processes apart.
        sequence = (os.getpid() % 100000) * 1000 + next(_uniqueids)
        self.uniqueid = uniqueid or f"{int(time.time())}.{sequence}"
        self.channel_name = f"PJSIP/trunk-{sequence:08x}"
        self.channel_variables = dict(variables or {})
        self.default_recording = default_recording
        self.hangup_at = hangup_at
        self.hangup_form = hangup_form
        self.sounds_root = Path(sounds_root) if sounds_root else None
        self.spool_map = spool_map
        self.timeout = timeout
        self.max_commands = max_commands
        self.on_prompt = on_prompt
        self.database: dict[tuple[str, str], str] = {}

        self.dead = False
        self._hangup_now = False
        self.call: SimulatedCall | None = None
        self._process: subprocess.Popen | None = None

    # The environment -----------------------------------------------------

    def environment(self, script: str | None = None) -> list[tuple[str, str]]:
        """The agi_* lines in the order Asterisk 22 writes them.

        FastAGI (script None): the flow is in the URL. A process-per-call
        script: AGI(<script>,<flow>,...) makes the flow the first argument.
        """
        if script is None:
            lines = [
                ("agi_network", "yes"),
                ("agi_network_script", self.flow),
                ("agi_request", f"agi://{self.host}:{self.port}/{self.flow}"),
            ]
            arguments = self.arguments
        else:
            lines = [("agi_request", script)]
            arguments = [self.flow, *self.arguments]
        lines += [
            ("agi_channel", self.channel_name),
            ("agi_language", "en"),
            ("agi_type", "PJSIP"),
            ("agi_uniqueid", self.uniqueid),
            ("agi_version", ASTERISK_VERSION),
            ("agi_callerid", self.caller_id or "unknown"),
            ("agi_calleridname", self.caller_name or "unknown"),
            # 67: "number not available", what Asterisk says without one.
            ("agi_callingpres", "0" if self.caller_id else "67"),
            ("agi_callingani2", "0"),
            ("agi_callington", "0"),
            ("agi_callingtns", "0"),
            ("agi_dnid", "unknown"),
            ("agi_rdnis", "unknown"),
            ("agi_context", "ivr"),
            ("agi_extension", "s"),
            ("agi_priority", "2"),
            ("agi_enhanced", "0.0"),
            ("agi_accountcode", ""),
            ("agi_threadid", str(140000000000000 + os.getpid())),
        ]
        lines += [
            (f"agi_arg_{index}", value)
            for index, value in enumerate(arguments, start=1)
        ]
        return lines

    # The call ------------------------------------------------------------

    def run(self) -> SimulatedCall:
        """Call the FastAGI server at host:port."""
        env = self.environment()
        self.call = call = SimulatedCall(env=dict(env))
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        reader = sock.makefile("rb")
        try:
            sock.sendall(_env_block(env))
            self._serve(sock.sendall, reader.readline)
        finally:
            reader.close()
            sock.close()
        call.events_left = list(self.caller.queue)
        return call

    def run_process(
        self, command: list[str], environ: dict[str, str] | None = None
    ) -> SimulatedCall:
        """Run a process-per-call AGI script as Asterisk does.

        The script gets the environment block on stdin and answers on
        stdout; a hangup is a SIGHUP to it, not a HANGUP line.
        """
        env = self.environment(script=command[0])
        self.call = call = SimulatedCall(env=dict(env))
        self._process = process = subprocess.Popen(
            [*command, self.flow, *self.arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
        )
        # stderr is drained aside so a chatty script cannot block on it.
        errors: list[bytes] = []
        drain = threading.Thread(target=lambda: errors.append(process.stderr.read()))
        drain.start()
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(self.timeout, kill)
        timer.start()

        def write(data: bytes) -> None:
            process.stdin.write(data)
            process.stdin.flush()

        try:
            write(_env_block(env))
            self._serve(write, process.stdout.readline)
        finally:
            with contextlib.suppress(OSError):
                process.stdin.close()
            call.exit_status = process.wait(self.timeout)
            timer.cancel()
            drain.join(self.timeout)
            call.stderr = b"".join(errors).decode("utf-8", errors="replace")
        if timed_out.is_set():
            raise SimulatorError(f"the AGI script ran longer than {self.timeout} s")
        call.events_left = list(self.caller.queue)
        return call

    def _serve(self, write: Callable[[bytes], object], readline) -> None:
        call = self.call
        while True:
            try:
                raw = readline()
            except TimeoutError:
                last = call.commands[-1] if call.commands else "the environment"
                raise SimulatorError(
                    f"no command from the IVR for {self.timeout:.0f} s after {last}"
                ) from None
            except (ConnectionError, ValueError):
                return
            if not raw:
                return

            # Asterisk strips only the newline; a stray \r stays in the text.
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            line = raw.decode("utf-8", errors="replace")
            call.raw_commands.append(raw)
            call.commands.append(line)
            if len(call.commands) > self.max_commands:
                raise SimulatorError(f"more than {self.max_commands} AGI commands")

            for out in self._answer(line):
                call.sent.append(out)
                if out == "HANGUP" and self._process is not None:
                    # Process-per-call AGI learns of a hangup by SIGHUP.
                    self._process.send_signal(signal.SIGHUP)
                    continue
                try:
                    write(out.encode("utf-8") + b"\n")
                except (OSError, ValueError):
                    return

    def _answer(self, line: str) -> list[str]:
        """The lines Asterisk writes for this command, in order."""
        out: list[str] = []
        words = parse_args(line)
        command = _find_command(words)
        number = len(self.call.commands)

        # A hangup scripted for this moment: between commands it is a
        # HANGUP line first; during a media command, the command's own
        # hangup reply (then the HANGUP line).
        if not self.dead and self._hangup_due(number):
            if self.caller.peek(False) == "hangup":
                self.caller.pop()
            media = command is not None and command.media
            if self.hangup_form == "reply" and media:
                self._hangup_now = True
            else:
                out += self._caller_hangs_up()

        if command is None:
            return [*out, "510 Invalid or unknown command"]
        if self.dead and not command.dead_ok:
            return [*out, DEAD_511]

        try:
            reply = getattr(self, "_" + command.handler)(words)
        except _UsageError:
            usage = _USAGE.get(command.handler, "Usage: see 'agi show commands'")
            return [*out, USAGE_HEAD, usage, USAGE_TAIL]
        except _Hangup as hangup:
            return [*out, hangup.reply, *self._caller_hangs_up()]
        finally:
            self._hangup_now = False

        out += reply if isinstance(reply, list) else [reply]
        if command.handler == "hangup" and self.call.ivr_hung_up and not self.dead:
            # The IVR's own HANGUP: Asterisk's loop sees the channel gone
            # and writes the HANGUP line before reading the next command.
            self.dead = True
            out.append("HANGUP")
        return out

    def _hangup_due(self, number: int) -> bool:
        if self.hangup_at is not None and number == self.hangup_at:
            return True
        return self.caller.peek(False) == "hangup"

    def _caller_hangs_up(self) -> list[str]:
        self.dead = True
        self.call.caller_hung_up = True
        self.call.hangup_command = len(self.call.commands)
        return ["HANGUP"]

    def _gone_while_listening(self) -> bool:
        """True when the caller hangs up now instead of answering."""
        if self._hangup_now:
            return True
        event = self.caller.peek(listening=True)
        if event == "hangup":
            self.caller.pop()
            return True
        return event is None

    # Prompts -------------------------------------------------------------

    def _play(self, sound: str) -> int | None:
        """Record the prompt; its length in samples, None if missing (then
        it counts as missing, not as played)."""
        length = NOMINAL_PROMPT_SAMPLES
        if self.sounds_root is not None:
            path = self.sounds_root / f"{sound}.wav"
            if not path.is_file():
                logger.warning("simulator: no sound file %s", path)
                self.call.missing_prompts.append(sound)
                return None
            with wave.open(str(path)) as audio:
                length = audio.getnframes()

        self.call.prompts.append(sound)
        if self.on_prompt is not None:
            self.on_prompt(sound)
        return length

    # Command handlers (names as in _COMMANDS) ------------------------------

    def _zero(self, _words):
        return "200 result=0"

    def _one(self, _words):
        return "200 result=1"

    def _noop(self, _words):
        return "200 result=0"

    def _channel_status(self, words):
        if len(words) > 3:
            raise _UsageError
        return "200 result=6" if self.call.answered else "200 result=4"

    def _set_variable(self, words):
        if len(words) >= 4:
            self.call.variables[words[2]] = words[3]
            self.channel_variables[words[2]] = words[3]
        return "200 result=1"

    def _get_variable(self, words):
        if len(words) != 3:
            raise _UsageError
        value = self.channel_variables.get(words[2])
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def _get_full_variable(self, words):
        if len(words) not in (4, 5):
            raise _UsageError
        text = re.sub(
            r"\$\{(\w+)\}",
            lambda m: self.channel_variables.get(m[1], ""),
            words[3],
        )
        return f"200 result=1 ({text})"

    def _verbose(self, words):
        if len(words) < 2:
            raise _UsageError
        self.call.verbose.append(words[1])
        return "200 result=1"

    def _hangup(self, words):
        if len(words) == 1:
            self.call.ivr_hung_up = True
            return "200 result=1"
        if len(words) == 2:
            return "200 result=-1"
        raise _UsageError

    def _database_get(self, words):
        if len(words) != 4:
            raise _UsageError
        value = self.database.get((words[2], words[3]))
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def _database_put(self, words):
        if len(words) != 5:
            raise _UsageError
        self.database[(words[2], words[3])] = words[4]
        return "200 result=1"

    def _database_del(self, words):
        if len(words) != 4:
            raise _UsageError
        found = self.database.pop((words[2], words[3]), None)
        return "200 result=1" if found is not None else "200 result=0"

    def _database_deltree(self, words):
        if len(words) not in (3, 4):
            raise _UsageError
        doomed = [k for k in self.database if k[0] == words[2]]
        for key in doomed:
            del self.database[key]
        return "200 result=0" if doomed else "200 result=1"

    def _exec(self, words):
        if len(words) < 2:
            raise _UsageError
        application = words[1]
        options = words[2] if len(words) > 2 else ""
        self.call.applications.append((application, options))
        playing = application.lower() in {"playback", "background"}
        if playing:
            for sound in options.split(",")[0].split("&"):
                if sound:
                    self._play(sound)
        if self.dead:
            return "200 result=-1" if playing else "200 result=0"
        if self._hangup_now:
            raise _Hangup("200 result=-1")
        return "200 result=0"

    def _say(self, words):
        if len(words) < 4:
            raise _UsageError
        self._play(f"say {words[1].lower()} {words[2]}")
        if self._hangup_now:
            raise _Hangup("200 result=-1")
        return "200 result=0"

    def _stream_file(self, words):
        if len(words) not in (4, 5):
            raise _UsageError
        length = self._play(words[2])
        if length is None:
            return "200 result=-1 endpos=0"
        if self._hangup_now:
            raise _Hangup(f"200 result=-1 endpos={length // 2}")

        key = self.caller.peek_key(listening=False)
        if key is not None and key in words[3]:
            self.caller.take_key()
            return f"200 result={ord(key)} endpos={length // 2}"
        return f"200 result=0 endpos={length}"

    def _control_stream_file(self, words):
        if not 5 <= len(words) <= 9:
            raise _UsageError
        # Played like STREAM FILE (words[4] is skipms, not an offset), but
        # Asterisk's reply to it carries no endpos.
        reply = self._stream_file(words[:5])
        return reply.split(" endpos=")[0]

    def _get_option(self, words):
        if len(words) not in (4, 5):
            raise _UsageError
        length = self._play(words[2])
        if length is None:
            return "200 result=-1 endpos=0"
        escape = words[3]

        # A key that is not an escape digit ends the wait with 0.
        if self._gone_while_listening():
            raise _Hangup(f"200 result=-1 endpos={length}")
        if self.caller.peek(listening=True) == "wait":
            self.caller.pop()
            return f"200 result=0 endpos={length}"
        if self.caller.peek_key(listening=True) is None:
            return f"200 result=0 endpos={length}"
        key = self.caller.take_key()
        code = ord(key) if key in escape else 0
        return f"200 result={code} endpos={length // 2 if code else length}"

    def _wait_for_digit(self, words):
        if len(words) != 4 or not re.fullmatch(r"-?\d+", words[3]):
            raise _UsageError
        if self._gone_while_listening():
            raise _Hangup("200 result=-1")
        if self.caller.peek(listening=True) == "wait":
            self.caller.pop()
            return "200 result=0"
        if self.caller.peek_key(listening=True) is None:
            # The caller speaks (a record: event) instead of pressing.
            return "200 result=0"
        return f"200 result={ord(self.caller.take_key())}"

    def _get_data(self, words):
        if len(words) < 3:
            raise _UsageError
        maximum = int(words[4]) if len(words) > 4 and words[4].isdigit() else 1024
        maximum = maximum or 1024
        self._play(words[2])

        digits = ""
        while len(digits) < maximum:
            if self._gone_while_listening():
                raise _Hangup("200 result=-1")
            if self.caller.peek(listening=True) == "wait":
                self.caller.pop()
                return f"200 result={digits} (timeout)"
            if self.caller.peek_key(listening=True) is None:
                return f"200 result={digits} (timeout)"
            key = self.caller.take_key()
            if key == "#":
                break
            digits += key

        # "1234567890#" typed in one go against a maximum of 10: the '#'
        # belongs to this entry, not to whatever the IVR does next.
        if len(digits) == maximum and self.caller.peek(False) == "#":
            self.caller.pop()
        return f"200 result={digits}"

    def _record_file(self, words):
        if len(words) < 6 or not re.fullmatch(r"-?\d+", words[5]):
            raise _UsageError
        path, fmt, escape = words[2], words[3], words[4]
        # The maximum length in ms; -1 (or 0) is none.
        max_ms = int(words[5])

        wav = self.default_recording
        if not self._hangup_now:
            event = self.caller.peek(listening=True)
            if event and event.startswith("record:"):
                wav = self.caller.pop()[len("record:") :]

        ended_by = "timeout"
        digit = 0
        # Speech longer than the maximum: Asterisk stops at the maximum,
        # while the caller is still talking; a later key is not this one's.
        cut_at_maximum = max_ms > 0 and _wav_ms(wav) > max_ms
        while not cut_at_maximum:
            if self._gone_while_listening():
                ended_by = "hangup"
                break
            event = self.caller.peek(listening=True)
            if event == "wait" or (event and event.startswith("record:")):
                if event == "wait":
                    self.caller.pop()
                break
            key = self.caller.take_key()
            if key in escape:
                ended_by, digit = "dtmf", ord(key)
                break

        samples = self._write_recording(path, fmt, wav, ended_by, max_ms)
        if ended_by == "hangup":
            raise _Hangup(f"200 result=-1 (hangup) endpos={samples}")
        if ended_by == "dtmf":
            return f"200 result={digit} (dtmf) endpos={samples}"
        return f"200 result=0 (timeout) endpos={samples}"

    def _answer_channel(self, _words):
        self.call.answered = True
        return "200 result=0"

    # Recordings ----------------------------------------------------------

    def _local_path(self, path: str) -> str:
        if self.spool_map:
            remote, local = self.spool_map
            remote = remote.rstrip("/")
            if path == remote or path.startswith(remote + "/"):
                return local.rstrip("/") + path[len(remote) :]
        return path

    def _write_recording(
        self, path: str, fmt: str, wav: str | None, ended_by: str, max_ms: int = -1
    ):
        """Write what the caller said where Asterisk would; samples written.

        Speech longer than max_ms is cut there, as Asterisk stops recording
        at its maximum length."""
        target = Path(f"{self._local_path(path)}.{fmt}")
        target.parent.mkdir(parents=True, exist_ok=True)

        frames, params = b"", (1, 2, SAMPLE_RATE, 0, "NONE", "not compressed")
        count = 0
        if wav:
            with wave.open(wav) as source:
                params = source.getparams()
                count = source.getnframes()
                frames = source.readframes(count)
        trim = ended_by == "dtmf"
        if trim:
            cut = min(count, params[2] * DTMF_TRIM_MS // 1000)
            count -= cut
            frames = frames[: count * params[0] * params[1]]
        if max_ms > 0 and count > params[2] * max_ms // 1000:
            count = params[2] * max_ms // 1000
            frames = frames[: count * params[0] * params[1]]
            trim = True

        if fmt.lower() == "wav":
            with wave.open(str(target), "wb") as out:
                out.setparams(params)
                out.writeframes(frames)
        elif wav and not trim and count:
            shutil.copyfile(wav, target)
        else:
            # Other formats (sln, gsm...) are written as raw samples: the
            # simulator does not transcode.
            target.write_bytes(frames)

        self.call.recordings.append(RecordedFile(str(target), count, ended_by))
        return count


def _wav_ms(wav: str | None) -> int:
    """The length of what the caller says, in ms (0 for silence)."""
    if not wav:
        return 0
    with wave.open(wav) as source:
        return source.getnframes() * 1000 // source.getframerate()


def _env_block(env: list[tuple[str, str]]) -> bytes:
    return ("".join(f"{key}: {value}\n" for key, value in env) + "\n").encode()


def simulate_call(host: str, port: int, **options) -> SimulatedCall:
    """Place one simulated call; options as AsteriskSimulator takes them."""
    return AsteriskSimulator(host, port, **options).run()
