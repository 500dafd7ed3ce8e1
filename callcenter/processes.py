"""Starting and stopping the product's own processes by pid.

Used by the demo and the end-to-end tests: each process started here gets a
pid file and a log file, and is stopped by that pid only.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

CALLCENTER = Path(sys.executable).with_name("callcenter")


class ProcessError(Exception):
    """A process we started died or never became ready."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_port_free(host: str, port: int, what: str) -> None:
    """ProcessError naming what, unless host:port can be listened on: a
    server that finds its port taken exits after its caller saw another
    program answer there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ProcessError(
                f"{what}: {host}:{port} is in use ({error.strerror}); stop what "
                "listens there or choose another port"
            ) from None


def spawn(
    name: str,
    args: list[str],
    env: dict[str, str],
    run_dir: Path,
    *,
    detach: bool = False,
) -> subprocess.Popen:
    """Start `callcenter <args>`, logging to run_dir/<name>.log.

    detach puts it in a session of its own, so it outlives the command that
    started it (the demo); its pid is written to run_dir/<name>.pid.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    log = open(run_dir / f"{name}.log", "ab")  # noqa: SIM115 - child keeps it
    process = subprocess.Popen(
        [str(CALLCENTER), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=detach,
    )
    log.close()
    # The start time makes the file name this process only: a pid the
    # system has since given to another program is not ours to stop.
    started = start_ticks(process.pid)
    (run_dir / f"{name}.pid").write_text(f"{process.pid} {started}\n")
    logger.info("%s: started, pid %d", name, process.pid)
    return process


def wait_for_port(
    port: int, process: subprocess.Popen | None = None, timeout: float = 30
) -> None:
    """Wait until something accepts on 127.0.0.1:port, or the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ProcessError(f"{process.args} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise ProcessError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_pid(pid: int, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL after timeout; a pid already gone is fine."""
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reap it if it is our child; otherwise just look again.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not _alive(pid):
                return
        time.sleep(0.1)
    logger.warning("pid %d: no exit after SIGTERM, killing", pid)
    os.kill(pid, signal.SIGKILL)


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (proc(5) stat
    field 22); None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: count after it.
    fields = stat.rpartition(")")[2].split()
    return int(fields[19])


def stop_by_pid_file(pid_file: Path, timeout: float = 15) -> bool:
    """Stop the process a pid file of spawn() names, if it is still that
    process; remove the file. True if it was running and is stopped."""
    try:
        pid_text, _, started_text = pid_file.read_text().strip().partition(" ")
        pid, started = int(pid_text), int(started_text)
    except (OSError, ValueError):
        pid_file.unlink(missing_ok=True)
        return False

    ours = start_ticks(pid) == started
    if ours:
        stop_pid(pid, timeout)
    else:
        logger.info("%s: pid %d is gone or another program's; left", pid_file, pid)
    pid_file.unlink(missing_ok=True)
    return ours
