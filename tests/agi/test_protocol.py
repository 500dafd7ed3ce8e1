"""The AGI reply parser on every form Asterisk 22 sends, and command quoting."""

from __future__ import annotations

import io

import pytest

from ivr.agi.channel import Channel, quote
from ivr.agi.errors import (
    AgiError,
    ChannelHungUp,
    DeadChannel,
    InvalidCommand,
    UsageError,
)
from ivr.agi.protocol import (
    LineTransport,
    command_name,
    encode_command,
    parse_args,
    read_env,
    read_reply,
)


def lines(*text: str):
    """A readline over these lines, as bytes, like a socket file."""
    return io.BytesIO("".join(f"{line}\n" for line in text).encode()).readline


def test_plain_result():
    reply = read_reply(lines("200 result=1"))
    assert (reply.code, reply.result, reply.data, reply.endpos) == (200, "1", "", None)
    assert not reply.hangup


def test_result_with_endpos():
    reply = read_reply(lines("200 result=0 endpos=12345"))
    assert reply.result == "0"
    assert reply.endpos == 12345


def test_timeout_with_empty_result():
    reply = read_reply(lines("200 result= (timeout)"))
    assert reply.result == ""
    assert reply.data == "timeout"
    assert not reply.hangup


def test_get_data_digits_then_timeout():
    reply = read_reply(lines("200 result=0912 (timeout)"))
    assert (reply.result, reply.data) == ("0912", "timeout")


def test_hangup_during_record_keeps_endpos():
    reply = read_reply(lines("200 result=-1 (hangup) endpos=25280"))
    assert reply.hangup
    assert reply.result == "-1"
    assert reply.endpos == 25280


def test_record_ended_by_key():
    reply = read_reply(lines("200 result=35 (dtmf) endpos=16000"))
    assert (reply.result, reply.data, reply.endpos) == ("35", "dtmf", 16000)
    assert not reply.hangup


def test_variable_value_with_spaces_and_parentheses():
    reply = read_reply(lines("200 result=1 (some value (with) spaces)"))
    assert reply.result == "1"
    assert reply.data == "some value (with) spaces"


def test_variable_whose_value_is_hangup_is_not_a_hangup():
    reply = read_reply(lines("200 result=1 (hangup)"))
    assert reply.data == "hangup"
    assert not reply.hangup


def test_persian_value_is_decoded_as_utf8():
    reply = read_reply(lines("200 result=1 (صف مشاوره)"))
    assert reply.data == "صف مشاوره"


def test_invalid_utf8_is_replaced_not_fatal():
    readline = io.BytesIO(b"200 result=1 (\xff\xfe)\n").readline
    assert read_reply(readline).data == "\ufffd\ufffd"


def test_510_invalid_command():
    with pytest.raises(InvalidCommand, match="Invalid or unknown command"):
        read_reply(lines("510 Invalid or unknown command"))


def test_511_dead_channel_is_a_hangup():
    with pytest.raises(DeadChannel) as raised:
        read_reply(
            lines("511 Command Not Permitted on a dead channel or intercept routine")
        )
    assert isinstance(raised.value, ChannelHungUp)
    assert raised.value.reply.code == 511


def test_520_multiline_usage():
    readline = lines(
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: WAIT FOR DIGIT <timeout>",
        "  Waits up to <timeout> milliseconds for a digit.",
        "520 End of proper usage.",
        "200 result=0",
    )
    with pytest.raises(UsageError) as raised:
        read_reply(readline)
    assert raised.value.usage == (
        " Usage: WAIT FOR DIGIT <timeout>\n"
        "  Waits up to <timeout> milliseconds for a digit."
    )
    # The whole usage block was consumed: the next reply reads cleanly.
    assert read_reply(readline).result == "0"


def test_520_usage_glued_to_its_end_line():
    readline = lines(
        "520-Invalid command syntax.  Proper usage follows:",
        "Usage: GET VARIABLE <name>520 End of proper usage.",
    )
    with pytest.raises(UsageError) as raised:
        read_reply(readline)
    assert raised.value.usage == "Usage: GET VARIABLE <name>"


def test_520_without_usage():
    with pytest.raises(UsageError, match="Proper usage not available"):
        read_reply(lines("520 Invalid command syntax.  Proper usage not available."))


def test_bare_hangup_line_then_the_pending_reply():
    readline = lines("HANGUP", "200 result=1 (4711)")
    reply = read_reply(readline)
    assert reply.hangup
    assert reply.data == "4711"


def test_bare_hangup_then_511():
    readline = lines(
        "HANGUP", "511 Command Not Permitted on a dead channel or intercept routine"
    )
    with pytest.raises(DeadChannel):
        read_reply(readline)


def test_hangup_then_invalid_command_ends_the_call():
    with pytest.raises(ChannelHungUp):
        read_reply(lines("HANGUP", "510 Invalid or unknown command"))


@pytest.mark.parametrize("text", ["", "HANGUP\n", "520-Invalid command syntax.\n"])
def test_end_of_input_is_a_hangup(text):
    readline = io.BytesIO(text.encode()).readline
    with pytest.raises(ChannelHungUp):
        read_reply(readline)


def test_garbage_is_an_error_not_a_crash():
    with pytest.raises(AgiError):
        read_reply(lines("hello there"))


def test_env_block():
    env = read_env(
        lines(
            "agi_network: yes",
            "agi_network_script: main",
            "agi_request: agi://127.0.0.1:4573/main",
            "agi_callerid: 09121234567",
            "agi_calleridname: علی رضایی",
            "agi_accountcode: ",
            "agi_arg_1: 5",
            "",
            "200 result=0",
        )
    )
    assert env["agi_network_script"] == "main"
    assert env["agi_request"] == "agi://127.0.0.1:4573/main"
    assert env["agi_calleridname"] == "علی رضایی"
    assert env["agi_accountcode"] == ""
    assert env["agi_arg_1"] == "5"


def test_env_cut_short_is_a_hangup():
    with pytest.raises(ChannelHungUp):
        read_env(lines("agi_network: yes", "agi_uniqueid: 1.1"))


def test_quote_escapes_quotes_and_backslashes():
    assert quote('a "b" \\c') == '"a \\"b\\" \\\\c"'
    assert quote("line\nbreak") == '"line break"'


@pytest.mark.parametrize(
    "value",
    ['سلام "دنیا"', "back\\slash", "", "  spaced  ", 'end quote"', "ی‌ک ۱۲۳"],
)
def test_quoted_argument_reads_back_as_asterisk_parses_it(value):
    line = f"SET VARIABLE NAME {quote(value)}"
    assert parse_args(line) == ["SET", "VARIABLE", "NAME", value]


def test_encode_command_is_utf8_with_one_newline():
    data = encode_command('VERBOSE "سلام\nدنیا" 1')
    assert data == 'VERBOSE "سلام دنیا" 1\n'.encode()


def test_command_name():
    assert command_name('STREAM FILE "x" ""') == "STREAM FILE"
    assert command_name("get full variable ${X}") == "GET FULL VARIABLE"
    assert command_name("FOO BAR") == "FOO"


class Scripted(LineTransport):
    """A transport over scripted Asterisk lines, recording what was sent."""

    def __init__(self, *replies: str):
        self.written: list[bytes] = []
        super().__init__(lines(*replies), self.written.append)


def test_minus_one_then_hangup_around_the_probe_is_a_hangup():
    transport = Scripted(
        "200 result=-1 endpos=4000",
        "HANGUP",
        "200 result=0",
    )
    channel = Channel(transport, {"agi_uniqueid": "1.1"})
    with pytest.raises(ChannelHungUp) as raised:
        channel.stream_file("callcenter/fa/main/greeting", "123")
    assert raised.value.reply.endpos == 4000
    assert transport.written[-1] == b"NOOP\n"
    assert channel.hung_up


def test_minus_one_on_a_live_channel_is_a_failure():
    from ivr.agi.errors import CommandFailed

    transport = Scripted("200 result=-1 endpos=0", "200 result=0")
    channel = Channel(transport, {})
    with pytest.raises(CommandFailed):
        channel.stream_file("callcenter/fa/missing")
    assert not channel.hung_up


def test_hangup_line_after_a_known_hangup_does_not_stop_cleanup():
    transport = Scripted(
        "200 result=-1 (hangup) endpos=25280", "HANGUP", "200 result=1"
    )
    channel = Channel(transport, {})
    recording = channel.record_file("/spool/1.1-1", 180000, silence_s=3)
    assert recording.hung_up and recording.samples == 25280

    channel.set_variable("IVR_RESULT", "kept")
    assert transport.written[-1] == b'SET VARIABLE IVR_RESULT "kept"\n'
