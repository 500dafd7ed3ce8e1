"""End-to-end fixtures: a real Asterisk 22 and the product's own processes.

Once for the tests of this folder (package scope, so none of it still runs
when other tests do), the harness builds (or reuses) the sandbox root,
installs deploy/asterisk/ with the scripted callers of callers.conf,
starts Asterisk, builds the prompts into its sounds folder, loads the
catalogue into the session's PostgreSQL schema, and starts `callcenter agi
serve` and `callcenter worker`. Calls are placed with AMI Originate on
Local channels. All of it is stopped by pid at the end. Nothing here
skips: a sandbox that cannot be built or started fails the tests with the
reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_lib

from callcenter.ami import AmiClient
from callcenter.asterisk_sandbox import AsteriskSandbox, default_root
from callcenter.config import load_settings, use_settings
from callcenter.processes import CALLCENTER, free_port, spawn, wait_for_port
from tests.conftest import REDIS_DB

HERE = Path(__file__).parent
CALLERS_DIALPLAN = HERE / "callers.conf"

# About four seconds of a citizen's voice, left as a request.
REQUEST_SPEECH = "سلام. گواهی‌نامه‌ی من گم شده است. لطفا تماس بگیرید."


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop one process we started, by its pid: SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(5)


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [str(CALLCENTER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"callcenter {' '.join(args)} exited {done.returncode}:\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    """The running sandbox Asterisk, its AGI_SERVER pointing at our port."""
    # Ports of this run only, so a demo or another checkout's tests on
    # their own root do not collide with these.
    agi_port = free_port()
    box = AsteriskSandbox(
        default_root(),
        agi_server=f"127.0.0.1:{agi_port}",
        ami_port=free_port(),
        sip_port=free_port(),
        extra_dialplan=CALLERS_DIALPLAN,
    )
    try:
        box.start()
    except Exception as error:
        box.stop(only_ours=True)
        pytest.fail(f"the Asterisk sandbox at {box.root} cannot start: {error}")

    yield box

    box.stop(only_ours=True)


@pytest.fixture(scope="package")
def e2e_env(sandbox, database_url, tmp_path_factory):
    """Environment for the product's processes: the session's schema, the
    Redis db of CALLCENTER_TEST_REDIS_DB, the sandbox's folders."""
    data_dir = tmp_path_factory.mktemp("e2e-var")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CALLCENTER_")
    }
    env.update(sandbox.settings_environ())
    env.update(
        {
            "CALLCENTER_DATA_DIR": str(data_dir),
            "CALLCENTER_DATABASE_URL": database_url,
            "CALLCENTER_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            # A queue of our own: the worker started here must not take the
            # jobs of other tests that share the Redis db.
            "CALLCENTER_RQ_QUEUE": "callcenter-e2e",
            "CALLCENTER_SECRET_KEY": "e2e-secret",
            "CALLCENTER_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture(scope="package")
def e2e_settings(e2e_env):
    settings = load_settings(environ=e2e_env)
    use_settings(settings)
    yield settings
    use_settings(None)


@pytest.fixture(scope="package")
def product(sandbox, e2e_env, e2e_settings, tmp_path_factory):
    """Catalogue, prompts, the FastAGI server and the worker, all running."""
    logs = tmp_path_factory.mktemp("e2e-logs")
    connection = redis_lib.Redis.from_url(e2e_settings.redis_url)
    connection.flushdb()

    run_cli(["catalogue", "load"], e2e_env)
    run_cli(["prompts", "build"], e2e_env, timeout=900)
    sandbox.make_speech(REQUEST_SPEECH, "callcenter-test/request")

    started: list[subprocess.Popen] = []
    try:
        agi_args = ["agi", "serve", "--host", e2e_settings.agi_host]
        agi_args += ["--port", str(e2e_settings.agi_port)]
        agi = spawn("agi", agi_args, e2e_env, logs)
        started.append(agi)
        worker = spawn("worker", ["worker"], e2e_env, logs)
        started.append(worker)
        wait_for_port(e2e_settings.agi_port, agi)
    except Exception as error:
        for process in started:
            stop_process(process)
        pytest.fail(f"the product's processes cannot start: {error}\nlogs in {logs}")

    yield {"logs": logs, "agi": agi, "worker": worker}

    for process in started:
        stop_process(process)
    connection.flushdb()
    connection.close()


@pytest.fixture(scope="package")
def ami(sandbox, e2e_settings):
    with AmiClient.from_settings(e2e_settings) as client:
        yield client


def place_call(
    ami: AmiClient,
    script: str,
    caller_id: str = "09121234567",
    context: str = "ivr",
    timeout: float = 120,
    variables: dict[str, str] | None = None,
) -> str:
    """Place a call with a scripted caller; wait for it to end; return the
    IVR half's uniqueid."""
    uniqueid = ami.originate_local(
        context,
        "sandbox-caller",
        {"CALLER_SCRIPT": script, **(variables or {})},
        caller_id,
        uniqueid=f"e2e-{uuid.uuid4().hex[:12]}",
    )
    ami.wait_for_hangup(uniqueid, timeout)
    return uniqueid


def wait_until(check, timeout: float = 30, interval: float = 0.5, what: str = ""):
    """Poll check() until it returns something truthy; fail with what."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
