"""agi_scripts/ivr.py as Asterisk runs it: a process per call, C locale.

The simulated Asterisk writes the environment to the script's stdin,
answers its commands and, on a hangup, sends it SIGHUP, as res_agi does
for a script (FastAGI gets a HANGUP line instead).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from ivr.agi.channel import DEAD_CHANNEL_COMMANDS
from ivr.agi.protocol import command_name
from ivr.simulator import AsteriskSimulator

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "agi_scripts" / "ivr.py"


@pytest.fixture
def script_env(tmp_path, spool):
    """The environment Asterisk gives a script: C locale, no UTF-8 mode."""
    output = tmp_path / "kept.json"
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "LANG": "C",
        "LC_ALL": "C",
        "PYTHONUTF8": "0",
        "CALLCENTER_AGI_HANDLER": "tests.agi.handlers:keep_recording",
        "CALLCENTER_LOG_LEVEL": "INFO",
        "AGI_TEST_OUTPUT": str(output),
        "AGI_TEST_SPOOL": str(spool),
    }
    return env, output


def run(script_env, handler=None, **options):
    env, output = script_env
    if handler:
        env = {**env, "CALLCENTER_AGI_HANDLER": handler}
    simulator = AsteriskSimulator(flow="leave_request", timeout=20, **options)
    call = simulator.run_process([str(SCRIPT)], env)
    kept = json.loads(output.read_text(encoding="utf-8")) if output.exists() else None
    return call, kept


def test_the_script_is_executable_with_a_shebang():
    assert os.access(SCRIPT, os.X_OK)
    assert SCRIPT.read_text().startswith("#!/usr/bin/env python3\n")


def test_a_whole_call(script_env, message_wav):
    call, kept = run(script_env, events=[f"record:{message_wav}", "#"])

    assert call.exit_status == 0, call.stderr
    assert call.env["agi_arg_1"] == "leave_request"
    assert call.prompts == [
        "callcenter/fa/request/intro",
        "callcenter/fa/request/thanks",
    ]
    assert kept["recording"]["samples"] == 25280 - 1600
    assert kept["cleanup"] == "done"
    # pyst2's debug chatter does not reach stderr (Asterisk's log).
    assert "RESULT_LINE" not in call.stderr
    assert "flow leave_request started" in call.stderr


def test_field_case_1_hangup_during_recording(script_env, message_wav):
    call, kept = run(script_env, events=[f"record:{message_wav}", "hangup"])

    assert "200 result=-1 (hangup) endpos=25280" in call.sent
    assert kept["recording"]["hung_up"]
    assert kept["recording"]["samples"] == 25280
    with wave.open(kept["recording"]["path"]) as audio:
        assert audio.getnframes() == 25280
    assert all(
        command_name(line) in DEAD_CHANNEL_COMMANDS
        for line in call.commands_after_hangup()
    )
    assert kept["cleanup"] == "done"
    assert call.exit_status == 0
    assert "Traceback" not in call.stderr


def test_field_case_2_sighup_before_the_get_variable_reply(script_env):
    call, kept = run(
        script_env,
        handler="tests.agi.handlers:read_variable",
        variables={"TICKET_ID": "4711"},
        hangup_at=1,
        hangup_form="line",
    )

    assert call.commands[0] == "GET VARIABLE TICKET_ID"
    assert call.sent[:2] == ["HANGUP", "200 result=1 (4711)"]
    assert kept["hung_up"]
    assert kept["reply_data"] == "4711"
    assert call.prompts == []
    assert kept["cleanup"] == "done"
    assert call.exit_status == 0
    assert "Traceback" not in call.stderr


def test_field_case_2_511_on_a_dead_channel(script_env):
    call, kept = run(script_env, hangup_at=1, hangup_form="line")

    assert call.sent[1] == (
        "511 Command Not Permitted on a dead channel or intercept routine"
    )
    assert kept["hung_up"]
    assert kept["cleanup"] == "done"
    assert call.exit_status == 0


@pytest.mark.parametrize("environment", [b"agi_request: ivr.py\n\n", b"agi_req"])
def test_field_case_3_input_ends(script_env, environment):
    env, output = script_env
    process = subprocess.run(
        [str(SCRIPT), "leave_request"],
        input=environment,
        capture_output=True,
        env=env,
        timeout=20,
    )

    assert process.returncode == 0
    assert b"Traceback" not in process.stderr
    if environment.endswith(b"\n\n"):
        # The flow ran, met the end of input at its first command, and
        # its cleanup still ran.
        assert process.stdout.startswith(b"ANSWER\n")
        kept = json.loads(output.read_text(encoding="utf-8"))
        assert kept["hung_up"]
    else:
        assert process.stdout == b""
        assert not output.exists()


def test_field_case_4_persian_under_the_c_locale(script_env):
    from tests.agi.handlers import LABEL

    call, kept = run(script_env, events=["#"])

    verbose = next(raw for raw in call.raw_commands if raw.startswith(b"VERBOSE"))
    assert verbose == f"VERBOSE {_quoted('پیام تماس‌گیرنده: ' + LABEL)} 1".encode()
    assert call.variables["CALL_LABEL"] == LABEL
    assert kept["label"] == LABEL
    assert call.exit_status == 0, call.stderr


@pytest.mark.parametrize("step", range(1, 9))
def test_a_hangup_at_every_step(script_env, message_wav, step):
    call, kept = run(script_env, events=[f"record:{message_wav}", "#"], hangup_at=step)

    assert call.exit_status == 0
    assert "Traceback" not in call.stderr
    assert kept["cleanup"] in {"done", "hung up"}
    assert all(
        command_name(line) in DEAD_CHANNEL_COMMANDS
        for line in call.commands_after_hangup()
    )


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
