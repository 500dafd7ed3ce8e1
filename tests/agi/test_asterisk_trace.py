"""Replies recorded from a real Asterisk 22, parsed and compared.

asterisk22_trace.txt holds what Debian sid's Asterisk 22.10.1 wrote on a
FastAGI socket. The parser must read every one of those replies right,
and the simulator must answer the same commands with the same lines (the
endpos values and the usage text aside, which depend on the audio and on
Asterisk's XML documentation).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from ivr.agi.channel import Channel, quote
from ivr.agi.errors import ChannelHungUp, DeadChannel, InvalidCommand, UsageError
from ivr.agi.protocol import read_env, read_reply
from tests.agi.peers import RawPeer

TRACE = Path(__file__).with_name("asterisk22_trace.txt")


def load_trace():
    env_lines, exchanges = [], []
    for line in TRACE.read_text(encoding="utf-8").splitlines():
        if line.startswith("= "):
            env_lines.append(line[2:])
        elif line.startswith("> "):
            exchanges.append((line[2:], []))
        elif line.startswith("< "):
            exchanges[-1][1].append(line[2:])
    return env_lines, exchanges


ENV_LINES, EXCHANGES = load_trace()
FIRST_CALL = EXCHANGES[:11]


def readline_over(lines):
    return io.BytesIO("".join(f"{line}\n" for line in lines).encode()).readline


def test_the_recorded_environment():
    env = read_env(readline_over([*ENV_LINES, ""]))
    assert env["agi_network_script"] == "probe?x=1"
    assert env["agi_uniqueid"] == "1796398284.1"
    assert env["agi_arg_2"] == "٣"
    assert env["agi_accountcode"] == ""

    channel = Channel(transport=None, env=env)
    assert channel.caller_id == ""
    assert channel.arguments == ["arg one", "٣"]


def test_the_simulator_sends_the_environment_asterisk_sends():
    peer = RawPeer([])
    peer.call(flow="probe?x=1", arguments=["arg one", "٣"], caller_id="")

    def key(line):
        return line.split(":")[0]

    sent = [line.decode().rstrip("\n") for line in peer.env]
    assert [key(line) for line in sent] == [key(line) for line in ENV_LINES]
    varying = {"agi_request", "agi_channel", "agi_type", "agi_uniqueid"}
    varying |= {"agi_context", "agi_threadid"}
    assert [line for line in sent if key(line) not in varying] == [
        line for line in ENV_LINES if key(line) not in varying
    ]


@pytest.mark.parametrize(("command", "reply"), EXCHANGES, ids=lambda v: str(v)[:30])
def test_every_recorded_reply_parses(command, reply):
    readline = readline_over(reply)
    if reply[0].startswith("510"):
        with pytest.raises(InvalidCommand):
            read_reply(readline)
    elif reply[0].startswith("520"):
        with pytest.raises(UsageError) as raised:
            read_reply(readline)
        assert raised.value.usage.startswith("Waits up to")
    elif reply[-1].startswith("511"):
        with pytest.raises(DeadChannel):
            read_reply(readline)
    else:
        parsed = read_reply(readline)
        assert parsed.code == 200
        assert parsed.hangup == (reply[0] == "HANGUP" or "(hangup)" in reply[0])
    assert readline() == b""


def test_the_recorded_values_read_back():
    replies = {command: reply for command, reply in EXCHANGES}
    variable = read_reply(readline_over(replies["GET VARIABLE PROBE"]))
    assert variable.data == 'سلام "نقل" (x)'
    record = read_reply(readline_over(replies[FIRST_CALL[7][0]]))
    assert (record.hangup, record.endpos) == (True, 3382)
    timeout = read_reply(readline_over(replies["GET DATA beep 1000 5"]))
    assert (timeout.result, timeout.data) == ("", "timeout")


def test_channel_quoting_matches_what_asterisk_read_back():
    command = FIRST_CALL[4][0]
    value = 'سلام "نقل" (x)'
    assert command == "SET VARIABLE PROBE " + quote(value)


def test_a_hangup_during_a_prompt_is_found_by_the_noop():
    """The second call: STREAM FILE cut short, then HANGUP before NOOP's reply."""
    stream, noop = EXCHANGES[-3], EXCHANGES[-2]
    lines = [*stream[1], *noop[1]]
    written = []

    from ivr.agi.protocol import LineTransport

    channel = Channel(LineTransport(readline_over(lines), written.append), {})
    with pytest.raises(ChannelHungUp) as raised:
        channel.stream_file("demo-congrats", "#")
    assert raised.value.reply.endpos == 38720
    assert written == [b'STREAM FILE demo-congrats "#"\n', b"NOOP\n"]


def test_the_simulator_answers_the_first_call_like_asterisk(tmp_path):
    from tests.agi.conftest import write_wav

    wav = write_wav(tmp_path / "speech.wav", 3382)
    commands = [command for command, _ in FIRST_CALL]
    peer = RawPeer(commands)
    peer.call(events=["5", f"record:{wav}", "hangup"])

    expected = [line for _, reply in FIRST_CALL for line in reply]
    got = peer.received.decode().splitlines()

    def comparable(lines):
        # The usage text is Asterisk's XML documentation, not ours to copy.
        return [
            "<usage>" if not re.match(r"^(\d{3}[ -]|HANGUP)", line) else line
            for line in lines
        ]

    assert comparable(got) == comparable(expected)
