"""`callcenter sandbox ...`: the real Asterisk used by the demo and e2e tests.

start prints the environment the other commands need (the AMI secret is
made fresh at each start); call places a call through AMI with a scripted
caller that reacts to the IVR's AGI commands (callcenter.sandbox_caller;
the steps are those of tests/e2e/callers.conf).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from callcenter.ami import AmiClient, AmiError
from callcenter.asterisk_sandbox import AsteriskSandbox, SandboxError, default_root
from callcenter.config import PROJECT_ROOT, get_settings
from callcenter.sandbox_caller import ScriptedCall

CALLERS_DIALPLAN = PROJECT_ROOT / "tests" / "e2e" / "callers.conf"
REQUEST_SPEECH = "سلام. گواهی‌نامه‌ی من گم شده است. لطفا تماس بگیرید."


def _sandbox(root: str | None, agi_server: str | None = None) -> AsteriskSandbox:
    settings = get_settings()
    agi = agi_server or f"{settings.agi_host}:{settings.agi_port}"
    return AsteriskSandbox(
        root or default_root(),
        agi_server=agi,
        ami_port=settings.ami_port,
        sip_port=settings.sip_port,
    )


root_option = click.option(
    "--root", default=None, help="Sandbox root (CALLCENTER_SANDBOX_ROOT)."
)


@click.group()
def sandbox() -> None:
    """A real Asterisk 22 in a Debian sid root, for tests and the demo."""


@sandbox.command()
@root_option
def build(root: str | None) -> None:
    """Debootstrap the root (about a minute); reuses an existing one."""
    box = _sandbox(root)
    try:
        box.build()
    except SandboxError as error:
        raise click.ClickException(str(error)) from None
    click.echo(box.status())


@sandbox.command()
@root_option
@click.option("--agi-server", default=None, help="host:port of the FastAGI server.")
@click.option(
    "--extra-dialplan",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Extra contexts; default: the scripted callers of tests/e2e.",
)
def start(root: str | None, agi_server: str | None, extra_dialplan: Path | None):
    """Install deploy/asterisk/ and start Asterisk; prints the env to use."""
    box = _sandbox(root, agi_server)
    try:
        box.start(extra_dialplan or CALLERS_DIALPLAN)
    except SandboxError as error:
        raise click.ClickException(str(error)) from None
    finally:
        # The lock guards only the start itself; the pid file guards the rest.
        box.release_lock()

    click.echo(box.status(), err=True)
    for name, value in box.settings_environ().items():
        click.echo(f"export {name}={shlex.quote(value)}")


@sandbox.command()
@root_option
def stop(root: str | None) -> None:
    """Stop the sandbox's Asterisk by its pid and unmount proc."""
    box = _sandbox(root)
    try:
        box.stop()
    except SandboxError as error:
        raise click.ClickException(str(error)) from None
    click.echo(box.status())


@sandbox.command()
@root_option
def status(root: str | None) -> None:
    """Say whether the root is built and Asterisk runs; exit 1 if not running."""
    box = _sandbox(root)
    click.echo(box.status())
    if box.running_pid() is None:
        raise SystemExit(1)


@sandbox.command()
@root_option
@click.option("--caller-id", default="09121234567", show_default=True)
@click.option(
    "--on",
    "reactions",
    multiple=True,
    metavar="COMMAND=STEPS",
    help="When the IVR sends an AGI command starting with COMMAND, the caller "
    "runs STEPS (wN wait, dKEYS keys, pSOUND play, h hang up; | between). "
    "Repeatable, in order. Default: leave a spoken request.",
)
@click.option(
    "--say",
    default=REQUEST_SPEECH,
    show_default=False,
    help="Persian text synthesized as callcenter-test/request for p steps.",
)
@click.option("--ivr-context", default="ivr", show_default=True)
@click.option("--timeout", default=180, show_default=True, help="Seconds to wait.")
def call(
    root: str | None,
    caller_id: str,
    reactions: tuple[str, ...],
    say: str,
    ivr_context: str,
    timeout: int,
) -> None:
    """Place a call into the IVR with a scripted caller; wait for its end."""
    settings = get_settings()
    plan = []
    for reaction in reactions or _default_reactions(settings.sound_prefix):
        command, separator, steps = reaction.partition("=")
        if not separator or not command.strip() or not steps.strip():
            raise click.BadParameter(
                f"{reaction!r}: expected COMMAND=STEPS", param_hint="--on"
            )
        plan.append((command.strip(), steps.strip()))

    box = _sandbox(root)
    if box.running_pid() is None:
        raise click.ClickException(f"{box.status()}; run: callcenter sandbox start")
    try:
        if say:
            box.make_speech(say, "callcenter-test/request")
        with AmiClient.from_settings(settings) as ami:
            placed = ScriptedCall.place(ami, caller_id, ivr_context)
            click.echo(f"call placed: IVR uniqueid {placed.ivr_uniqueid}")
            for command, steps in plan:
                seen = placed.when(command, steps, timeout)
                click.echo(f"  IVR: {seen}  ->  caller: {steps}")
            placed.wait_ended(timeout)
    except (AmiError, SandboxError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"call {placed.ivr_uniqueid} ended")


def _default_reactions(sound_prefix: str) -> list[str]:
    return [
        f"STREAM FILE {sound_prefix}/main/menu=d4",
        "RECORD FILE=w1|pcallcenter-test/request|d#",
    ]


commands = [sandbox]
