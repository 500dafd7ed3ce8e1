"""The simulated Asterisk itself: what it sends, and the simulate command."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from ivr.agi.cli import simulate
from ivr.simulator import AsteriskSimulator, parse_events
from tests.agi.peers import RawPeer


def test_environment_in_asterisk_order():
    peer = RawPeer([])
    peer.call(flow="queue_exit", arguments=["5"], caller_id="09121234567")

    keys = [line.split(b":")[0].decode() for line in peer.env]
    assert keys == [
        "agi_network",
        "agi_network_script",
        "agi_request",
        "agi_channel",
        "agi_language",
        "agi_type",
        "agi_uniqueid",
        "agi_version",
        "agi_callerid",
        "agi_calleridname",
        "agi_callingpres",
        "agi_callingani2",
        "agi_callington",
        "agi_callingtns",
        "agi_dnid",
        "agi_rdnis",
        "agi_context",
        "agi_extension",
        "agi_priority",
        "agi_enhanced",
        "agi_accountcode",
        "agi_threadid",
        "agi_arg_1",
    ]
    assert peer.env[0] == b"agi_network: yes\n"
    assert peer.env[1] == b"agi_network_script: queue_exit\n"
    assert (
        peer.env[2] == f"agi_request: agi://127.0.0.1:{peer.port}/queue_exit\n".encode()
    )
    assert b"agi_callerid: 09121234567\n" in peer.env
    assert b"agi_accountcode: \n" in peer.env
    assert peer.env[-1] == b"agi_arg_1: 5\n"


def test_replies_to_each_command():
    peer = RawPeer(
        [
            "ANSWER",
            'STREAM FILE callcenter/fa/main/menu "0123456789*"',
            "WAIT FOR DIGIT 6000",
            "GET DATA callcenter/fa/status/enter_code 6000 10",
            "GET DATA callcenter/fa/status/last_four 6000 4",
            "GET VARIABLE UNSET_ONE",
            'SET VARIABLE IVR_QUEUE "consultation"',
            "GET VARIABLE IVR_QUEUE",
            "EXEC Playback callcenter/fa/a&callcenter/fa/b",
            "FOO BAR",
            "WAIT FOR DIGIT",
            "NOOP",
            "HANGUP",
            'STREAM FILE x ""',
            'VERBOSE "after" 1',
        ]
    )
    call = peer.call(events=["2", "5", "1234567890#", "12", "wait"])

    assert peer.received.decode().splitlines() == [
        "200 result=0",
        "200 result=50 endpos=8000",
        "200 result=53",
        "200 result=1234567890",
        "200 result=12 (timeout)",
        "200 result=0",
        "200 result=1",
        "200 result=1 (consultation)",
        "200 result=0",
        "510 Invalid or unknown command",
        "520-Invalid command syntax.  Proper usage follows:",
        "Usage: WAIT FOR DIGIT <timeout>",
        "520 End of proper usage.",
        "200 result=0",
        "200 result=1",
        "HANGUP",
        "511 Command Not Permitted on a dead channel or intercept routine",
        "200 result=1",
    ]
    assert call.prompts == [
        "callcenter/fa/main/menu",
        "callcenter/fa/status/enter_code",
        "callcenter/fa/status/last_four",
        "callcenter/fa/a",
        "callcenter/fa/b",
    ]
    assert call.ivr_hung_up and not call.caller_hung_up
    assert call.applications == [("Playback", "callcenter/fa/a&callcenter/fa/b")]


def test_keys_outside_the_escape_digits_wait_for_a_listener():
    peer = RawPeer(['STREAM FILE intro ""', "WAIT FOR DIGIT 5000"])
    peer.call(events=["7"])
    assert peer.received.decode().splitlines() == [
        "200 result=0 endpos=16000",
        "200 result=55",
    ]


def test_events_running_out_hang_up_the_next_listener():
    peer = RawPeer(["WAIT FOR DIGIT 5000", "GET VARIABLE X"])
    call = peer.call(events=[])
    assert peer.received.decode().splitlines() == [
        "200 result=-1",
        "HANGUP",
        "200 result=0",
    ]
    assert call.caller_hung_up and call.hangup_command == 1


def test_get_data_timeout_without_digits():
    peer = RawPeer(["GET DATA callcenter/fa/status/enter_code 6000 10"])
    peer.call(events=["wait"])
    assert peer.received == b"200 result= (timeout)\n"


def test_record_without_speech_is_an_empty_file(tmp_path):
    path = tmp_path / "empty-1"
    peer = RawPeer([f'RECORD FILE "{path}" wav "#" 120000 0 beep s=3'])
    call = peer.call(events=["wait"])
    assert peer.received == b"200 result=0 (timeout) endpos=0\n"
    assert (tmp_path / "empty-1.wav").stat().st_size == 44
    assert call.recordings[0].ended_by == "timeout"


def test_record_into_a_mapped_spool(tmp_path, message_wav):
    local = tmp_path / "chroot-spool"
    peer = RawPeer(['RECORD FILE "/var/spool/asterisk/callcenter/9.9-1" wav "#" 1000'])
    peer.call(
        events=[f"record:{message_wav}", "wait"],
        spool_map=("/var/spool/asterisk/callcenter", str(local)),
    )
    # 3.16 s said against a maximum of 1000 ms: cut at one second.
    assert peer.received == b"200 result=0 (timeout) endpos=8000\n"
    assert (local / "9.9-1.wav").exists()


def test_missing_sound_fails_like_asterisk(tmp_path):
    (tmp_path / "callcenter" / "fa").mkdir(parents=True)
    peer = RawPeer(['STREAM FILE callcenter/fa/missing ""'])
    call = peer.call(sounds_root=str(tmp_path))
    assert peer.received == b"200 result=-1 endpos=0\n"
    # Not played, so not reported as played.
    assert call.prompts == []
    assert call.missing_prompts == ["callcenter/fa/missing"]
    assert "MISSING missing" in call.summary("callcenter/fa")
    assert "  played" not in call.summary("callcenter/fa")


def test_recording_stops_at_its_maximum_length(tmp_path, message_wav):
    import wave

    path = tmp_path / "long-1"
    peer = RawPeer([f'RECORD FILE "{path}" wav "#" 2000', "WAIT FOR DIGIT 100"])
    call = peer.call(events=[f"record:{message_wav}", "#"])

    # 2 s of the 3.16 s said; the # came after the end, for the next command.
    assert peer.received == (
        b"200 result=0 (timeout) endpos=16000\n" + b"200 result=%d\n" % ord("#")
    )
    with wave.open(str(tmp_path / "long-1.wav")) as audio:
        assert audio.getnframes() == 16000
    assert call.recordings[0].ended_by == "timeout"


def test_recording_shorter_than_its_maximum_is_whole(tmp_path, message_wav):
    path = tmp_path / "short-1"
    peer = RawPeer([f'RECORD FILE "{path}" wav "#" -1'])
    peer.call(events=[f"record:{message_wav}", "wait"])
    assert peer.received == b"200 result=0 (timeout) endpos=25280\n"


@pytest.mark.parametrize(
    ("text", "events"),
    [
        ("3, 1234567890# ,wait", ["3", "1234567890#", "wait"]),
        ("۴,۱۲۳#", ["4", "123#"]),
        ("hangup", ["hangup"]),
        ("", []),
    ],
)
def test_parse_events(text, events):
    assert parse_events(text) == events


@pytest.mark.parametrize("text", ["x", "record:/no/such.wav", "12a!"])
def test_parse_events_rejects_bad_input(text):
    with pytest.raises(ValueError):
        parse_events(text)


def test_hangup_form_is_checked():
    with pytest.raises(ValueError):
        AsteriskSimulator(hangup_form="shout")


def test_simulate_command_prints_the_prompts(serve, spool, kept, message_wav):
    from tests.agi import handlers

    host, port = serve(handlers.keep_recording)

    result = CliRunner().invoke(
        simulate,
        [
            "--host",
            host,
            "--port",
            str(port),
            "--keys",
            f"record:{message_wav},#",
            "--no-sounds",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "played  request/intro" in result.output
    assert "played  request/thanks" in result.output
    assert "(3.0 s, dtmf)" in result.output


def test_simulate_command_rejects_bad_keys():
    result = CliRunner().invoke(simulate, ["--keys", "1,bogus"])
    assert result.exit_code != 0
    assert "unknown event 'bogus'" in result.output


def test_simulate_command_without_a_server():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = CliRunner().invoke(simulate, ["--port", str(port)])
    assert result.exit_code == 1
    assert "cannot reach the FastAGI server" in result.output


def test_simulate_interactive_reads_keys_from_the_terminal(serve, spool, kept):
    from tests.agi import handlers

    host, port = serve(handlers.keep_recording)
    result = CliRunner().invoke(
        simulate,
        ["--host", host, "--port", str(port), "-i", "--no-sounds"],
        input="nonsense\n#\n",
    )

    assert result.exit_code == 0, result.output
    assert "playing callcenter/fa/request/intro" in result.output
    assert "unknown event 'nonsense'" in result.output
    assert kept[0]["recording"]["digit"] == "#"


def test_simulate_command_lists_prompts_without_a_wav_as_missing(
    serve, kept, message_wav, settings, tmp_path, monkeypatch
):
    import dataclasses

    from callcenter.config import use_settings
    from tests.agi import handlers
    from tests.agi.conftest import write_wav

    monkeypatch.setenv("AGI_TEST_SPOOL", str(settings.recording_spool_dir))
    sounds = tmp_path / "sounds" / "callcenter" / "fa"
    (sounds / "request").mkdir(parents=True)
    write_wav(sounds / "request" / "intro.wav", 800)
    use_settings(dataclasses.replace(settings, sounds_dir=str(sounds)))
    host, port = serve(handlers.keep_recording)

    result = CliRunner().invoke(
        simulate,
        ["--host", host, "--port", str(port), "--keys", f"record:{message_wav},#"],
    )

    assert result.exit_code == 0, result.output
    assert "played  request/intro" in result.output
    assert "played  request/thanks" not in result.output
    assert "MISSING request/thanks" in result.output
    assert "callcenter prompts build" in result.output


def test_a_caller_voice_that_is_no_wav_is_refused_before_the_call(tmp_path):
    not_audio = tmp_path / "voice.wav"
    not_audio.write_text("not a wav\n")

    for args in (
        ["--record", str(not_audio)],
        ["--keys", f"4,record:{not_audio}"],
    ):
        result = CliRunner().invoke(simulate, [*args, "--port", "1"])

        assert result.exit_code == 2, result.output
        assert "is not a WAV file" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
