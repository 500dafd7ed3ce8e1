"""`callcenter demo`: the whole center on one machine, and one call into it.

start brings up a real Asterisk (the sandbox), the FastAGI server, the
worker and the web console on the configured database (a SQLite file by
default), places a call whose caller leaves a spoken request, waits for its
ticket and prints where to log in to see it. stop ends all of it by pid.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import click
from sqlalchemy import select

from callcenter.ami import AmiClient, AmiError
from callcenter.asterisk_sandbox import AsteriskSandbox, SandboxError, default_root
from callcenter.config import Settings, get_settings, load_settings
from callcenter.processes import (
    CALLCENTER,
    ProcessError,
    ensure_port_free,
    spawn,
    stop_by_pid_file,
    wait_for_port,
)
from callcenter.sandbox_caller import ScriptedCall
from callcenter.sandbox_cli import CALLERS_DIALPLAN, REQUEST_SPEECH
from ticketing.catalogue import load_catalogue
from ticketing.db import session_scope
from ticketing.migrate import upgrade
from ticketing.models import Call, RecordingState, Role, Ticket
from ticketing.users import (
    create_user,
    get_user,
    set_active,
    set_password,
    set_role,
)

DEMO_USER = "demo"
DEMO_CALLER_ID = "09121234567"

# The product's processes the demo starts, each with a pid file.
SERVICES = ("agi", "worker", "web")

# The sandbox's Asterisk has a pid file of its own in the root; the demo
# keeps a copy beside the others, so that stop ends only the Asterisk that
# the demo started (never the end-to-end tests' on the same root).
ASTERISK_PID_FILE = "asterisk.pid"

# Left beside the root's Asterisk, for a later start on the root to quote.
OWNER_NOTE = "`callcenter demo start` (make demo); stop it with `make stop`"

# How long start waits for the root's lock: held for minutes, it means the
# end-to-end tests run on this root, and waiting for them helps nobody.
LOCK_WAIT_SECONDS = 10


def _run_dir(settings: Settings) -> Path:
    return settings.data_path / "demo"


def _step(message: str) -> None:
    click.echo(f"demo: {message}")


def _prepare_database(settings: Settings) -> None:
    _step(f"database {settings.sqlalchemy_url.split('@')[-1]}")
    upgrade(settings.sqlalchemy_url)
    with session_scope(settings.sqlalchemy_url) as session:
        load_catalogue(session, settings.path(settings.catalogue_file))


def _demo_login(settings: Settings) -> str:
    """Create the demo supervisor, or give it a new password and enable it
    again (an admin may have disabled it); return the password."""
    password = secrets.token_urlsafe(9)
    with session_scope(settings.sqlalchemy_url) as session:
        user = get_user(session, DEMO_USER)
        if user is None:
            create_user(session, DEMO_USER, password, Role.SUPERVISOR, "کارشناس نمونه")
        else:
            set_password(session, user, password)
            set_active(session, user, True)
            set_role(session, user, Role.SUPERVISOR)
    return password


def _start_services(settings: Settings, env: dict[str, str]) -> None:
    run_dir = _run_dir(settings)
    agi = spawn("agi", ["agi", "serve"], env, run_dir, detach=True)
    worker = spawn("worker", ["worker"], env, run_dir, detach=True)
    web = spawn("web", ["web", "serve"], env, run_dir, detach=True)

    wait_for_port(settings.agi_port, agi)
    wait_for_port(settings.web_port, web)
    time.sleep(1)
    for name, process in (("agi", agi), ("worker", worker), ("web", web)):
        if process.poll() is not None:
            raise ProcessError(f"{name} exited; see {run_dir / f'{name}.log'}")


def _place_call(box: AsteriskSandbox, settings: Settings) -> str:
    box.make_speech(REQUEST_SPEECH, "callcenter-test/request")
    with AmiClient.from_settings(settings) as ami:
        # The caller reacts to the IVR's own AGI commands rather than to
        # guessed prompt lengths (callcenter.sandbox_caller).
        call = ScriptedCall.place(ami, DEMO_CALLER_ID, name="demo")
        _step(
            f"call placed (uniqueid {call.ivr_uniqueid}); the caller leaves a request"
        )
        # The citizen presses 4 (leave a request) during the menu, speaks
        # after the beep, presses # and listens to the tracking code.
        call.when(f"STREAM FILE {settings.sound_prefix}/main/menu", "d4")
        call.when("RECORD FILE", "w1|pcallcenter-test/request|d#")
        call.wait_ended(timeout=180)
    return call.ivr_uniqueid


def _wait_for_ticket(settings: Settings, uniqueid: str, timeout: float = 60):
    query = (
        select(Ticket.id, Ticket.tracking_code, Ticket.recording_state)
        .join(Call, Ticket.call_id == Call.id)
        .where(Call.uniqueid == uniqueid)
    )
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        with session_scope(settings.sqlalchemy_url) as session:
            row = session.execute(query).first()
        if row and row.recording_state == RecordingState.READY:
            return row
        time.sleep(0.5)
    return row


def start_demo() -> None:
    settings = get_settings()
    run_dir = _run_dir(settings)
    stop_demo(quiet=True)

    # A port another program holds would let a server of ours die after
    # that program answered for it: refuse before anything starts.
    for what, host, port in (
        ("ami_port", settings.ami_host, settings.ami_port),
        ("agi_port", settings.agi_host, settings.agi_port),
        ("web_port", settings.web_host, settings.web_port),
    ):
        ensure_port_free(host, port, what)

    _prepare_database(settings)

    box = AsteriskSandbox(
        default_root(),
        agi_server=f"{settings.agi_host}:{settings.agi_port}",
        ami_port=settings.ami_port,
        sip_port=settings.sip_port,
    )
    if not box.is_built():
        _step(f"building the Asterisk root in {box.root} (about a minute)")
        box.build()
    _step(f"starting Asterisk 22 in the sandbox {box.root}")
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        try:
            box.acquire_lock(wait_seconds=LOCK_WAIT_SECONDS)
        except SandboxError as error:
            raise SandboxError(
                f"{error}: the end-to-end tests may be running on this root; "
                "wait for them, or set CALLCENTER_SANDBOX_ROOT to another root"
            ) from None
        box.start(CALLERS_DIALPLAN, owner=OWNER_NOTE)
    finally:
        # The lock guards only the start; the pid files guard the rest.
        if box.pid is not None:
            (run_dir / ASTERISK_PID_FILE).write_text(f"{box.pid}\n{box.root}\n")
        box.release_lock()

    env = {**os.environ, **box.settings_environ()}
    env_file = run_dir / "sandbox.env"
    env_file.write_text(
        "".join(f"{name}={value}\n" for name, value in box.settings_environ().items())
    )
    env_file.chmod(0o600)
    settings = load_settings(environ=env)

    _step("generating the Persian prompts (espeak-ng, sox)")
    subprocess.run(
        [str(CALLCENTER), "prompts", "build"], env=env, check=True, timeout=600
    )

    _step("starting the FastAGI server, the worker and the web console")
    _start_services(settings, env)
    password = _demo_login(settings)

    uniqueid = _place_call(box, settings)
    ticket = _wait_for_ticket(settings, uniqueid)

    url = f"http://{settings.web_host}:{settings.web_port}"
    click.echo("")
    if ticket is None:
        raise click.ClickException(
            f"the call left no ticket; see the logs in {run_dir}"
        )
    click.echo(f"Ticket {ticket.tracking_code} (recording: {ticket.recording_state})")
    click.echo(f"Console:  {url}/tickets/{ticket.id}")
    click.echo(f"Login:    {DEMO_USER} / {password}")
    click.echo(f"Logs:     {run_dir}/*.log   Stop: make stop")

    if ticket.recording_state != RecordingState.READY:
        # The ticket opens, but its recording was never filed: most often
        # another worker on the same Redis queue took the job.
        raise click.ClickException(
            "the recording was not filed within a minute; is another worker "
            f"using the queue {settings.rq_queue} on {settings.redis_url}? "
            f"Set CALLCENTER_RQ_QUEUE, or see {run_dir}/worker.log"
        )


def stop_demo(quiet: bool = False) -> None:
    settings = get_settings()
    run_dir = _run_dir(settings)
    for name in SERVICES:
        if stop_by_pid_file(run_dir / f"{name}.pid") and not quiet:
            _step(f"{name} stopped")

    _stop_asterisk(run_dir / ASTERISK_PID_FILE, quiet)


def _stop_asterisk(pid_file: Path, quiet: bool) -> None:
    """Stop the root's Asterisk if it is the one the demo started. The pid
    file names the root too: a shell without the demo's
    CALLCENTER_SANDBOX_ROOT must still stop the right one."""
    started, root = None, default_root()
    try:
        pid_line, _, root_line = pid_file.read_text().partition("\n")
        started = int(pid_line.strip())
        root = Path(root_line.strip()) if root_line.strip() else root
    except (OSError, ValueError):
        pass

    box = AsteriskSandbox(root)
    running = box.running_pid()
    if running is not None and running == started:
        box.pid = started
        box.stop(only_ours=True)
        if not quiet:
            _step("Asterisk stopped")
    elif running is not None and not quiet:
        # The tests', another data dir's demo, or one started by hand.
        _step(
            f"Asterisk pid {running} on {box.root} is not this demo's; left "
            "running (callcenter sandbox stop ends it)"
        )
    pid_file.unlink(missing_ok=True)


@click.group()
def demo() -> None:
    """Everything on this machine, with one call placed into it."""


@demo.command("start")
def start_command() -> None:
    """Start Asterisk and the services, place a call, print a login."""
    try:
        start_demo()
    except (SandboxError, ProcessError, AmiError) as error:
        raise click.ClickException(str(error)) from None


@demo.command("stop")
def stop_command() -> None:
    """Stop what `demo start` started, by pid."""
    try:
        stop_demo()
    except SandboxError as error:
        raise click.ClickException(str(error)) from None


commands = [demo]
