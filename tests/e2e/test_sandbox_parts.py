"""The sandbox harness's own logic, on a fake root (no Asterisk needed):
what it installs, which pid it would stop, and its lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.asterisk_sandbox import DEPLOY_DIR, AsteriskSandbox, SandboxError


@pytest.fixture
def fake_root(tmp_path) -> Path:
    root = tmp_path / "asterisk-sid"
    (root / "usr" / "sbin").mkdir(parents=True)
    (root / "usr" / "sbin" / "asterisk").write_text("")
    (root / "etc" / "asterisk").mkdir(parents=True)
    (root / "etc" / "asterisk" / "sip.conf").write_text("; Debian's\n")
    return root


def test_install_configs_replaces_debian_defaults_and_keeps_secrets_out(fake_root):
    box = AsteriskSandbox(
        fake_root, agi_server="127.0.0.1:4999", ami_port=5999, sip_port=5998
    )

    box.install_configs(extra_dialplan="[e2e-extra]\nexten => s,1,Hangup()\n")

    etc = fake_root / "etc" / "asterisk"
    assert not (etc / "sip.conf").exists()
    assert (fake_root / "etc" / "asterisk.debian" / "sip.conf").exists()
    assert "AGI_SERVER = 127.0.0.1:4999" in (etc / "extensions.conf").read_text()
    assert "port = 5999" in (etc / "manager.conf").read_text()
    assert "bind = 127.0.0.1:5998" in (etc / "pjsip.conf").read_text()
    assert "[e2e-extra]" in (etc / "extensions_extra.conf").read_text()
    assert not list(etc.rglob("*.sample")) and not list(etc.rglob("*.md"))

    secret_file = etc / "manager.d" / "callcenter-secret.conf"
    assert secret_file.read_text() == f"secret = {box.ami_secret}\n"
    assert len(box.ami_secret) == 32
    assert secret_file.stat().st_mode & 0o077 == 0
    assert box.settings_environ()["CALLCENTER_AMI_SECRET"] == box.ami_secret

    # The repository's own folder holds no secret, only samples.
    for folder in ("manager.d", "pjsip.d"):
        assert {p.suffix for p in (DEPLOY_DIR / folder).iterdir()} <= {".sample"}


def test_install_configs_makes_a_new_secret_each_time(fake_root):
    box = AsteriskSandbox(fake_root)
    box.install_configs()
    first = box.ami_secret
    box.install_configs()
    assert box.ami_secret != first
    assert (fake_root / "etc/asterisk/extensions_extra.conf").read_text() == ""


def test_install_configs_needs_a_built_root(tmp_path):
    with pytest.raises(SandboxError, match="build it first"):
        AsteriskSandbox(tmp_path / "missing").install_configs()


def test_a_pid_file_naming_another_process_is_not_ours(fake_root):
    # Our own pid: alive, but not an Asterisk chrooted in this root.
    pid_file = fake_root / "run" / "asterisk" / "asterisk.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{os.getpid()}\n")
    box = AsteriskSandbox(fake_root)

    assert box.running_pid() is None
    box.stop()  # must not signal this test process
    assert "not running" in box.status()


def test_lock_keeps_a_second_run_out(fake_root):
    holder = AsteriskSandbox(fake_root)
    holder.acquire_lock()
    try:
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\n"
                "from callcenter.asterisk_sandbox import AsteriskSandbox\n"
                "AsteriskSandbox(sys.argv[1]).acquire_lock(wait_seconds=1)\n",
                str(fake_root),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        holder.release_lock()

    assert probe.returncode != 0
    assert "is held by another run" in probe.stderr


def test_make_speech_of_two_runs_at_once_keeps_each_runs_files(fake_root, monkeypatch):
    # Two `sandbox call` runs make the same prompt; the second one runs
    # whole while the first is between its espeak-ng and its sox.
    from callcenter import asterisk_sandbox

    box = AsteriskSandbox(fake_root)
    real_run = asterisk_sandbox._run
    second_run = []

    def run_with_a_second_call(args, *rest, **options):
        output = real_run(args, *rest, **options)
        if args[0] == "espeak-ng" and not second_run:
            second_run.append("started")
            second_run.append(box.make_speech("دوم", "callcenter-test/request"))
        return output

    monkeypatch.setattr(asterisk_sandbox, "_run", run_with_a_second_call)

    seconds = box.make_speech("درخواست گواهی", "callcenter-test/request")

    assert second_run[1] > 0
    target = fake_root / "usr/share/asterisk/sounds/callcenter-test/request.wav"
    assert seconds > 0
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["request.wav"]
