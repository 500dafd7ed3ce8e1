"""The FastAGI server against the simulated Asterisk, field cases 1-4."""

from __future__ import annotations

import logging
import socket
import threading
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import pytest

from ivr.agi.channel import DEAD_CHANNEL_COMMANDS
from ivr.agi.protocol import command_name, parse_args
from ivr.simulator import simulate_call
from tests.agi import handlers


def test_a_whole_call_keeps_the_recording(serve, spool, kept, message_wav):
    host, port = serve(handlers.keep_recording)

    call = simulate_call(host, port, events=[f"record:{message_wav}", "#"])

    assert call.prompts == [
        "callcenter/fa/request/intro",
        "callcenter/fa/request/thanks",
    ]
    [result] = kept
    assert result["recording"]["digit"] == "#"
    # Asterisk cuts the last 200 ms (the key's tone) when a key ends it.
    assert result["recording"]["samples"] == 25280 - 1600
    assert result["cleanup"] == "done"
    assert call.variables["IVR_RESULT"] == "kept"


def test_field_case_1_hangup_during_recording(serve, spool, kept, message_wav):
    host, port = serve(handlers.keep_recording)

    call = simulate_call(host, port, events=[f"record:{message_wav}", "hangup"])

    record_reply = call.sent[call.commands.index(_record_command(call))]
    assert record_reply == "200 result=-1 (hangup) endpos=25280"
    [result] = kept
    assert result["recording"]["hung_up"]
    assert result["recording"]["samples"] == 25280
    with wave.open(result["recording"]["path"]) as audio:
        assert audio.getnframes() == 25280

    # After the hangup only commands valid on a dead channel went out.
    after = call.commands_after_hangup()
    assert after == ['SET VARIABLE IVR_RESULT "kept"']
    assert all(command_name(line) in DEAD_CHANNEL_COMMANDS for line in after)
    assert result["cleanup"] == "done"


def test_field_case_2_bare_hangup_line_before_get_variable(serve, kept):
    host, port = serve(handlers.read_variable)

    call = simulate_call(
        host,
        port,
        variables={"TICKET_ID": "4711"},
        hangup_at=1,
        hangup_form="line",
    )

    assert call.sent[:2] == ["HANGUP", "200 result=1 (4711)"]
    [result] = kept
    assert result["hung_up"]
    assert result["reply_data"] == "4711"
    # The prompt was never sent; the cleanup's VERBOSE was.
    assert call.prompts == []
    assert call.commands[-1] == 'VERBOSE "cleanup after read_variable" 1'
    assert result["cleanup"] == "done"


def test_field_case_2_511_after_hangup_line(serve, spool, kept):
    host, port = serve(handlers.keep_recording)

    call = simulate_call(host, port, hangup_at=1, hangup_form="line")

    assert call.commands[0] == "ANSWER"
    assert call.sent[:2] == [
        "HANGUP",
        "511 Command Not Permitted on a dead channel or intercept routine",
    ]
    [result] = kept
    assert result["hung_up"]
    assert result["cleanup"] == "done"


def test_field_case_3_input_ends_after_the_environment(serve, kept, caplog):
    host, port = serve(handlers.keep_recording)
    caplog.set_level(logging.INFO)

    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"agi_network: yes\nagi_uniqueid: 1700000000.7\n\n")
        sock.shutdown(socket.SHUT_WR)
        received = _read_all(sock)

    # ANSWER met the end of input; then only the cleanup's dead-channel
    # command was tried before the server closed the socket.
    assert received == b'ANSWER\nSET VARIABLE IVR_RESULT "kept"\n'

    _wait_for(lambda: kept)
    assert kept[0]["hung_up"]
    assert kept[0]["cleanup"] == "hung up"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "call 1700000000.7: flow - done after" in caplog.text


def test_field_case_3_input_ends_inside_the_environment(serve, kept, caplog):
    host, port = serve(handlers.keep_recording)

    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"agi_network: yes\nagi_uniqueid: 1.1\n")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(4096) == b""

    assert kept == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_peer_that_sends_no_environment_is_dropped(serve, kept, caplog):
    host, port = serve(handlers.keep_recording, env_timeout=0.2)
    caplog.set_level(logging.INFO)

    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"agi_network: yes\n")
        sock.settimeout(5)
        assert sock.recv(100) == b""

    assert kept == []
    assert "fastagi: no environment from 127.0.0.1" in caplog.text


def test_field_case_4_persian_and_quotes_in_arguments(serve, spool, kept):
    host, port = serve(handlers.keep_recording)

    call = simulate_call(host, port, events=["#"])

    verbose = next(raw for raw in call.raw_commands if raw.startswith(b"VERBOSE"))
    assert verbose == (
        'VERBOSE "پیام تماس‌گیرنده: درخواست «تمدید» با \\"نقل قول\\"" 1'.encode()
    )
    assert parse_args(verbose.decode())[1].endswith(handlers.LABEL)
    assert call.variables["CALL_LABEL"] == handlers.LABEL
    assert kept[0]["label"] == handlers.LABEL


@pytest.mark.parametrize("step", range(1, 9))
@pytest.mark.parametrize("form", ["reply", "line"])
def test_a_hangup_at_every_step_ends_cleanly(
    serve, spool, kept, message_wav, caplog, step, form
):
    host, port = serve(handlers.keep_recording)

    call = simulate_call(
        host,
        port,
        events=[f"record:{message_wav}", "#"],
        hangup_at=step,
        hangup_form=form,
    )

    # Steps: ANSWER, VERBOSE, SET, GET, STREAM, RECORD, STREAM, then the
    # cleanup's SET VARIABLE; the flow notices every hangup before that.
    assert len(kept) == 1
    assert call.caller_hung_up
    if step < 8:
        assert kept[0]["hung_up"] or kept[0]["recording"]["hung_up"]
        assert all(
            command_name(line) in DEAD_CHANNEL_COMMANDS
            for line in call.commands_after_hangup()
        )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_stream_file_cut_by_hangup_is_seen_as_hangup(serve, kept):
    def play_then_cleanup(channel):
        try:
            channel.stream_file("callcenter/fa/main/greeting", "123")
        finally:
            channel.verbose("cleanup")
            kept.append(channel.hung_up)

    host, port = serve(play_then_cleanup)
    call = simulate_call(host, port, events=["hangup"])

    assert call.sent[:2] == ["200 result=-1 endpos=8000", "HANGUP"]
    assert call.commands == [
        'STREAM FILE callcenter/fa/main/greeting "123"',
        "NOOP",
        'VERBOSE "cleanup" 1',
    ]
    assert kept == [True]


def test_many_calls_at_once(serve, spool, kept, message_wav):
    host, port = serve(handlers.keep_recording)

    def one_call(_):
        return simulate_call(host, port, events=[f"record:{message_wav}", "#"])

    with ThreadPoolExecutor(max_workers=40) as pool:
        calls = list(pool.map(one_call, range(120)))

    assert len({call.uniqueid for call in calls}) == 120
    assert len(kept) == 120
    assert all(result["recording"]["samples"] == 23680 for result in kept)


def test_handler_errors_are_logged_and_the_socket_closed(serve, caplog):
    def broken(channel):
        channel.answer()
        raise RuntimeError("flow bug")

    host, port = serve(broken)
    call = simulate_call(host, port)

    assert call.commands == ["ANSWER"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert f"call {call.uniqueid}: flow main failed" in errors[0].getMessage()


def test_shutdown_ends_a_running_call_through_its_cleanup(spool, kept):
    from ivr.agi.fastagi import FastAgiServer

    started = threading.Event()

    def waits_forever(channel):
        try:
            started.set()
            channel.wait_for_digit(-1)
        finally:
            # Saving a ticket takes a moment; shutdown must wait for it.
            time.sleep(0.3)
            kept.append("cleaned up")

    server = FastAgiServer("127.0.0.1", 0, waits_forever, grace_seconds=0.2)
    host, port = server.start_in_thread()
    with socket.create_connection((host, port)) as sock:
        sock.sendall(b"agi_uniqueid: 2.2\n\n")
        started.wait(5)
        assert sock.recv(100) == b"WAIT FOR DIGIT -1\n"
        server.shutdown()
        assert sock.recv(100) == b""

    assert kept == ["cleaned up"]


def test_caller_id_is_masked_at_info(serve, kept, caplog, spool):
    host, port = serve(handlers.keep_recording)
    caplog.set_level(logging.INFO)

    simulate_call(host, port, caller_id="09121234567", events=["#"])

    assert "09121234567" not in caplog.text
    assert "*********67" in caplog.text


def _record_command(call) -> str:
    return next(line for line in call.commands if line.startswith("RECORD FILE"))


def _read_all(sock) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
