"""Pid files and ports of the processes the demo starts."""

from __future__ import annotations

import socket
import subprocess

import pytest

from callcenter.processes import (
    ProcessError,
    ensure_port_free,
    start_ticks,
    stop_by_pid_file,
)


@pytest.fixture
def sleeper():
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait(5)


def test_a_pid_file_stops_the_process_it_was_written_for(tmp_path, sleeper):
    pid_file = tmp_path / "web.pid"
    pid_file.write_text(f"{sleeper.pid} {start_ticks(sleeper.pid)}\n")

    assert stop_by_pid_file(pid_file, timeout=5)

    # stop_pid reaped it (our child), so only its absence can be seen.
    sleeper.wait(5)
    assert start_ticks(sleeper.pid) is None
    assert not pid_file.exists()


def test_a_pid_now_held_by_another_program_is_left_alone(tmp_path, sleeper):
    # The pid was reused: the process that has it started at another time.
    pid_file = tmp_path / "web.pid"
    pid_file.write_text(f"{sleeper.pid} {start_ticks(sleeper.pid) - 1}\n")

    assert not stop_by_pid_file(pid_file, timeout=5)

    assert sleeper.poll() is None
    assert not pid_file.exists()


def test_a_pid_file_of_the_old_form_or_garbage_stops_nothing(tmp_path, sleeper):
    for text in (f"{sleeper.pid}\n", "not a pid\n", ""):
        pid_file = tmp_path / "agi.pid"
        pid_file.write_text(text)

        assert not stop_by_pid_file(pid_file, timeout=5)
        assert sleeper.poll() is None


def test_a_port_another_program_listens_on_is_named(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        with pytest.raises(ProcessError, match=f"web_port: 127.0.0.1:{port} is in use"):
            ensure_port_free("127.0.0.1", port, "web_port")

    ensure_port_free("127.0.0.1", port, "web_port")
