"""Process-per-call AGI: a script on stdin/stdout, built on pyst2's AGI.

pyst2 reads the environment and writes commands; its reply reader is not
used, because it raises its hangup exception before reading endpos (the
audio a caller left before hanging up) and flattens 520 usage text. Replies
are read with ivr.agi.protocol.read_reply on the same stdin instead.

Also handled here: pyst2's constructor installs a SIGHUP handler, which
only the main thread may do, and writes debug lines to stderr; and the
locale Asterisk starts scripts under (often C), which must not garble
Persian text: stdin and stdout are switched to UTF-8.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading

from asterisk.agi import AGI

from callcenter.config import get_settings
from callcenter.logs import call_logger
from ivr.agi.channel import Channel
from ivr.agi.errors import AgiError
from ivr.agi.handler import load_handler, serve_channel
from ivr.agi.protocol import LineTransport

logger = logging.getLogger(__name__)


class _Discard(io.TextIOBase):
    """Where pyst2's stderr chatter goes (it would fill Asterisk's log)."""

    def write(self, text: str) -> int:
        return len(text)


class _EndAwareReader:
    """stdin as pyst2 sees it, remembering whether input ended.

    pyst2 takes end of input for the blank line that closes the
    environment; this tells the two apart.
    """

    def __init__(self, stream):
        self.stream = stream
        self.ended = False

    def readline(self) -> str:
        line = self.stream.readline()
        if not line:
            self.ended = True
        return line


class QuietAgi(AGI):
    """pyst2's AGI without stderr noise, usable outside the main thread."""

    def __init__(self, stdin, stdout):
        if threading.current_thread() is threading.main_thread():
            super().__init__(stdin=stdin, stdout=stdout, stderr=_Discard())
            return

        # signal.signal() raises outside the main thread; without the SIGHUP
        # flag a hangup still shows as a 511 reply or the end of input.
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = _Discard()
        self._got_sighup = False
        self.env = {}
        self._get_agi_env()


class Pyst2Transport(LineTransport):
    """AGI over the script's stdin/stdout, through pyst2's AGI object."""

    def __init__(self, agi: QuietAgi, reader: _EndAwareReader):
        self.agi = agi
        super().__init__(reader.readline, self._send_line)

    def _send_line(self, data: bytes) -> None:
        self.agi.send_command(data.decode("utf-8").rstrip("\n"))

    def _signalled_hangup(self) -> bool:
        # Asterisk tells a process-per-call script of a hangup with SIGHUP,
        # the counterpart of FastAGI's HANGUP line.
        return self.agi._got_sighup


def utf8_streams(stdin=None, stdout=None):
    """stdin and stdout as UTF-8 text, whatever the locale says."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    for stream in (stdin, stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace", newline="\n")
    return stdin, stdout


def flow_environment(env: dict[str, str], flow_name: str | None) -> dict[str, str]:
    """The environment a flow sees, the same as under FastAGI.

    AGI(/path/ivr.py,<flow>,<args>) makes the flow name agi_arg_1; FastAGI
    carries it in the URL instead. So the name moves to agi_network_script
    (what Channel.script reads) and the other arguments shift down.
    """
    env = dict(env)
    arguments = []
    index = 1
    while f"agi_arg_{index}" in env:
        arguments.append(env.pop(f"agi_arg_{index}"))
        index += 1

    if flow_name is None and arguments:
        flow_name = arguments[0]
    if arguments and arguments[0] == flow_name:
        arguments = arguments[1:]

    for index, value in enumerate(arguments, start=1):
        env[f"agi_arg_{index}"] = value
    if flow_name:
        env["agi_network_script"] = flow_name
    return env


def run_script(flow_name=None, handler=None, stdin=None, stdout=None) -> int:
    """Serve one call on stdin/stdout; returns the process exit status."""
    stdin, stdout = utf8_streams(stdin, stdout)
    reader = _EndAwareReader(stdin)
    agi = QuietAgi(reader, stdout)
    if reader.ended:
        logger.info("agi script: input ended before the environment did")
        return 0

    channel = Channel(Pyst2Transport(agi, reader), flow_environment(agi.env, flow_name))
    if handler is None:
        try:
            handler = load_handler(get_settings().agi_handler)
        except AgiError as error:
            call_logger(logger, channel.uniqueid).error(
                "cannot serve the call: %s", error
            )
            return 1

    return 0 if serve_channel(channel, handler) else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of agi_scripts/ivr.py: the flow name is argv[1]."""
    from callcenter.logs import setup_logging

    argv = sys.argv if argv is None else argv
    # Logs go to stderr, which Asterisk shows; stdout is the AGI channel.
    setup_logging(get_settings().log_level)
    try:
        return run_script(argv[1] if len(argv) > 1 else None)
    finally:
        _quiet_closed_stdout()


def _quiet_closed_stdout() -> None:
    # When Asterisk has closed the pipe, the interpreter's last flush of
    # stdout would print a BrokenPipeError traceback on the way out.
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
