"""The demo: its login helper, and `callcenter demo start` / `stop` whole.

The whole-demo test starts a real Asterisk on the e2e tests' root
(default_root()). It lives here, outside tests/e2e, on purpose: the e2e
package's `sandbox` fixture holds that root from the package's first test
to its last, so a test inside the package would find Asterisk running and
the demo would refuse to start. pytest tears package fixtures down as it
leaves the package, and runs one test at a time, so this test and the e2e
package never hold the root together within one session.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from callcenter.asterisk_sandbox import AsteriskSandbox, SandboxError, default_root
from callcenter.config import load_settings
from callcenter.demo import ASTERISK_PID_FILE, DEMO_USER, SERVICES, _demo_login
from callcenter.persian import to_persian_digits
from callcenter.processes import free_port, stop_pid
from tests.conftest import REDIS_DB
from ticketing.db import session_scope
from ticketing.migrate import upgrade
from ticketing.users import authenticate, get_user, set_active

CALLCENTER = Path(sys.executable).with_name("callcenter")

# Prompts are built and a call is placed: minutes on a cold machine.
DEMO_TIMEOUT = 900

# One second of Asterisk's WAV (8 kHz, 16-bit mono); the spoken request
# is about four.
ONE_SECOND_OF_WAV = 16000


def test_demo_login_enables_a_disabled_demo_user(tmp_path):
    settings = load_settings(environ={"CALLCENTER_DATA_DIR": str(tmp_path)})
    upgrade(settings.sqlalchemy_url)
    _demo_login(settings)
    with session_scope(settings.sqlalchemy_url) as session:
        set_active(session, get_user(session, DEMO_USER), False)

    password = _demo_login(settings)

    with session_scope(settings.sqlalchemy_url) as session:
        assert authenticate(session, DEMO_USER, password) is not None


def _demo_env(data_dir: Path) -> dict[str, str]:
    """The demo on tmp files, free ports and the tests' Redis db; the
    machine's own CALLCENTER_* settings are left out."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CALLCENTER_")
    }
    env.update(
        {
            "CALLCENTER_SANDBOX_ROOT": str(default_root()),
            "CALLCENTER_DATA_DIR": str(data_dir),
            "CALLCENTER_WEB_PORT": str(free_port()),
            "CALLCENTER_AGI_PORT": str(free_port()),
            "CALLCENTER_AMI_PORT": str(free_port()),
            "CALLCENTER_SIP_PORT": str(free_port()),
            "CALLCENTER_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            # A queue of its own, so no other test's worker takes its jobs.
            "CALLCENTER_RQ_QUEUE": "callcenter-demo-test",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _run_demo(command: str, env: dict[str, str], cwd: Path):
    return subprocess.run(
        [str(CALLCENTER), "demo", command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        check=False,
    )


def _logs(run_dir: Path) -> str:
    tails = [
        f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}"
        for log in sorted(run_dir.glob("*.log"))
    ]
    return "\n".join(tails)


def _pids(run_dir: Path) -> dict[str, int]:
    pids = {}
    for name in (*SERVICES, Path(ASTERISK_PID_FILE).stem):
        try:
            # After the pid: a start time, or (Asterisk's) the root.
            text = (run_dir / f"{name}.pid").read_text()
            pids[name] = int(text.split()[0])
        except (OSError, ValueError):
            continue
    return pids


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _ami_greets(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as ami:
        return ami.makefile("rb").readline().startswith(b"Asterisk Call Manager")


def _udp_bound(port: int) -> bool:
    """Something on this host has a UDP socket bound to the port."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local = line.split()[1]
            if int(local.rpartition(":")[2], 16) == port:
                return True
    return False


def _stop_leftovers(pids: dict[str, int]) -> None:
    """What `demo stop` left (or never reached): by pid, each checked to
    still be the process the demo started."""
    asterisk = pids.pop(Path(ASTERISK_PID_FILE).stem, None)
    if asterisk is not None:
        box = AsteriskSandbox(default_root())
        if box.running_pid() == asterisk:
            box.pid = asterisk
            box.stop(only_ours=True)

    for pid in pids.values():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(CALLCENTER).encode() in command:
            stop_pid(pid)


def _page(opener, url: str, data: dict[str, str] | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with opener.open(url, data=body, timeout=30) as response:
        return response.geturl(), response.headers, response.read()


def _log_in(base: str, user: str, password: str):
    """A cookie-keeping opener logged in through the login form."""
    opener = urllib.request.build_opener(
        # Loopback only, whatever proxy the environment names.
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    )
    _, _, form = _page(opener, f"{base}/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, "the login form has no CSRF token"

    landed, _, _ = _page(
        opener,
        f"{base}/login",
        {"csrf_token": token[1].decode(), "username": user, "password": password},
    )
    assert urllib.parse.urlsplit(landed).path == "/tickets"
    return opener


@pytest.mark.e2e
def test_demo_start_leaves_a_ticket_the_printed_login_opens(tmp_path):
    data_dir = tmp_path / "var"
    run_dir = data_dir / "demo"
    env = _demo_env(data_dir)
    pids: dict[str, int] = {}
    stopped = False
    try:
        started = _run_demo("start", env, tmp_path)
        output = started.stdout + started.stderr
        assert started.returncode == 0, f"{output}\n{_logs(run_dir)}"

        ticket = re.search(r"^Ticket (\d{10}) ", output, re.MULTILINE)
        console = re.search(r"^Console:\s+(http://\S+)/tickets/(\d+)$", output, re.M)
        login = re.search(rf"^Login:\s+{DEMO_USER} / (\S+)$", output, re.MULTILINE)
        assert ticket and console and login, output
        base, ticket_id = console[1], console[2]
        assert base == f"http://127.0.0.1:{env['CALLCENTER_WEB_PORT']}"

        opener = _log_in(base, DEMO_USER, login[1])
        _, _, page = _page(opener, f"{base}/tickets/{ticket_id}")
        html = page.decode()
        assert '<html lang="fa" dir="rtl">' in html
        assert to_persian_digits(ticket[1]) in html
        recording_url = f"/tickets/{ticket_id}/recording"
        assert f'src="{recording_url}"' in html

        _, headers, wav = _page(opener, base + recording_url)
        assert headers.get_content_type() == "audio/wav"
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
        assert len(wav) > ONE_SECOND_OF_WAV

        pids = _pids(run_dir)
        assert set(pids) == {*SERVICES, "asterisk"}
        assert all(_running(pid) for pid in pids.values()), pids

        # The sandbox's Asterisk took its ports from the settings.
        assert _ami_greets(int(env["CALLCENTER_AMI_PORT"]))
        assert _udp_bound(int(env["CALLCENTER_SIP_PORT"]))

        # What the e2e tests' sandbox meets during a demo: a refusal that
        # says how to stop the demo, and the demo left running.
        tests_box = AsteriskSandbox(default_root())
        try:
            with pytest.raises(SandboxError, match="make stop"):
                tests_box.start()
        finally:
            tests_box.release_lock()
        assert all(_running(pid) for pid in pids.values()), pids

        # More calls from another shell find the demo's root in sandbox.env.
        sandbox_env = (run_dir / "sandbox.env").read_text()
        assert f"CALLCENTER_SANDBOX_ROOT={default_root()}\n" in sandbox_env

        # A shell that names another root still stops the demo's Asterisk:
        # the pid file says which root it runs in.
        elsewhere = {**env, "CALLCENTER_SANDBOX_ROOT": str(tmp_path / "other-root")}
        stopping = _run_demo("stop", elsewhere, tmp_path)
        stopped = True
        assert stopping.returncode == 0, stopping.stdout + stopping.stderr
        assert [name for name, pid in pids.items() if _running(pid)] == []
        assert _pids(run_dir) == {}
    finally:
        if not stopped:
            _run_demo("stop", env, tmp_path)
        _stop_leftovers({**pids, **_pids(run_dir)})
