"""`callcenter agi serve` as a process, and run_script off the main thread."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ivr.agi.pyst2_transport import flow_environment, run_script
from ivr.simulator import simulate_call

ROOT = Path(__file__).resolve().parents[2]


def test_agi_serve_serves_calls_and_stops_on_sigterm(tmp_path, spool):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CALLCENTER_DATA_DIR": str(tmp_path / "var"),
        "CALLCENTER_AGI_HANDLER": "tests.agi.handlers:keep_recording",
        "CALLCENTER_LOG_LEVEL": "INFO",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "callcenter"),
            "agi",
            "serve",
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
        text=True,
    )
    try:
        banner = server.stderr.readline()
        match = re.search(r"FastAGI server on ([\d.]+):(\d+)", banner)
        assert match, banner

        call = simulate_call(match[1], int(match[2]), events=["#"])
        assert call.prompts[0] == "callcenter/fa/request/intro"
    finally:
        server.send_signal(signal.SIGTERM)
        status = server.wait(15)
        log = server.stderr.read()

    assert status == 0
    assert f"call {call.uniqueid}: flow main started" in log
    assert "SIGTERM received, stopping" in log
    assert "Traceback" not in log


def test_agi_serve_with_a_missing_handler_says_so(tmp_path):
    env = {
        **os.environ,
        "CALLCENTER_DATA_DIR": str(tmp_path / "var"),
        "CALLCENTER_AGI_HANDLER": "no_such_module:dispatch",
    }
    process = subprocess.run(
        [str(Path(sys.executable).parent / "callcenter"), "agi", "serve"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=30,
    )
    assert process.returncode == 1
    assert "cannot import no_such_module" in process.stderr


def test_run_script_outside_the_main_thread():
    # pyst2's constructor would raise there (signal.signal); ours must not.
    stdin = io.StringIO("agi_request: ivr.py\nagi_uniqueid: 3.3\nagi_arg_1: main\n\n")
    replies = io.StringIO()
    seen = []

    def handler(channel):
        seen.append((channel.script, channel.arguments))

    worker = threading.Thread(
        target=lambda: seen.append(run_script(None, handler, stdin, replies))
    )
    worker.start()
    worker.join(10)

    assert seen == [("main", []), 0]


def test_flow_environment_moves_the_flow_name_out_of_the_arguments():
    env = {
        "agi_request": "/agi-bin/ivr.py",
        "agi_arg_1": "queue_exit",
        "agi_arg_2": "5",
    }
    assert flow_environment(env, "queue_exit") == {
        "agi_request": "/agi-bin/ivr.py",
        "agi_network_script": "queue_exit",
        "agi_arg_1": "5",
    }
    assert flow_environment(env, None)["agi_network_script"] == "queue_exit"
