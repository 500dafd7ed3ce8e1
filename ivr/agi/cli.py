"""Commands of the AGI layer: the FastAGI server and the call simulator."""

from __future__ import annotations

import click

from callcenter.config import get_settings


@click.group("agi")
def agi() -> None:
    """The FastAGI server that Asterisk's AGI(agi://...) reaches."""


@agi.command("serve")
@click.option("--host", default=None, help="Default: settings.agi_host.")
@click.option("--port", type=int, default=None, help="Default: settings.agi_port.")
def agi_serve(host: str | None, port: int | None) -> None:
    """Serve calls until SIGTERM or Ctrl-C; running calls may finish."""
    from ivr.agi.errors import AgiError
    from ivr.agi.fastagi import FastAgiServer
    from ivr.agi.handler import load_handler

    settings = get_settings()
    try:
        handler = load_handler(settings.agi_handler)
    except AgiError as error:
        raise click.ClickException(str(error)) from None

    # The handler may check its data first (the IVR: the menu file), so a
    # bad file stops start-up with its line instead of failing calls.
    startup_check = getattr(handler, "startup_check", None)
    if startup_check is not None:
        try:
            startup_check(settings)
        except Exception as error:
            raise click.ClickException(str(error)) from None

    try:
        server = FastAgiServer(
            host or settings.agi_host,
            settings.agi_port if port is None else port,
            handler,
        )
    except OSError as error:
        raise click.ClickException(f"cannot listen: {error.strerror}") from None
    bound_host, bound_port = server.address
    click.echo(f"FastAGI server on {bound_host}:{bound_port}", err=True)
    server.serve_forever()


@click.command("simulate")
@click.option("--flow", default="main", show_default=True, help="The AGI script.")
@click.option(
    "--keys",
    default="",
    help='Caller events, comma separated: keys ("3", "1234567890#"), wait, '
    "hangup, record:<file.wav>.",
)
@click.option("--caller", default="09120000000", show_default=True)
@click.option("--arg", "arguments", multiple=True, help="agi_arg_N, repeatable.")
@click.option(
    "--record",
    type=click.Path(exists=True, dir_okay=False),
    help="WAV the caller says to any RECORD FILE.",
)
@click.option("--hangup-at", type=int, help="Hang up at the Nth AGI command.")
@click.option(
    "--hangup-form",
    type=click.Choice(["reply", "line"]),
    default="reply",
    show_default=True,
    help="reply: the command's own hangup reply; line: a bare HANGUP first.",
)
@click.option(
    "--sounds/--no-sounds",
    default=True,
    show_default=True,
    help="Play prompts from settings.sounds_path: a prompt without its WAV is "
    "listed as MISSING, not as played.",
)
@click.option("--interactive", "-i", is_flag=True, help="Type keys as prompts play.")
@click.option("--host", default=None, help="Default: settings.agi_host.")
@click.option("--port", type=int, default=None, help="Default: settings.agi_port.")
@click.option("--timeout", type=float, default=30.0, show_default=True)
def simulate(
    flow,
    keys,
    caller,
    arguments,
    record,
    hangup_at,
    hangup_form,
    sounds,
    interactive,
    host,
    port,
    timeout,
) -> None:
    """Place a call on the FastAGI server as Asterisk would; print the prompts."""
    from callcenter.persian import normalize_digits
    from ivr.simulator import (
        AsteriskSimulator,
        SimulatorError,
        check_wav,
        parse_events,
    )

    settings = get_settings()
    try:
        events = parse_events(keys)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--keys") from None
    if record:
        try:
            check_wav(record)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--record") from None

    ask = on_prompt = None
    if interactive:
        ask = _ask_terminal
        on_prompt = lambda sound: click.echo(f"  playing {sound}")  # noqa: E731

    spool_map = None
    if settings.recording_spool_local_dir:
        spool_map = (settings.recording_spool_dir, settings.recording_spool_local_dir)

    sounds_root = sounds_root_of(settings) if sounds else None
    if sounds and sounds_root is None:
        click.echo(
            f"note: {settings.sounds_path} does not end in {settings.sound_prefix}; "
            "prompts are not checked",
            err=True,
        )

    simulator = AsteriskSimulator(
        host or settings.agi_host,
        settings.agi_port if port is None else port,
        flow=flow,
        events=events,
        caller_id=normalize_digits(caller),
        arguments=arguments,
        default_recording=record,
        hangup_at=hangup_at,
        hangup_form=hangup_form,
        spool_map=spool_map,
        sounds_root=str(sounds_root) if sounds_root else None,
        timeout=timeout,
        ask=ask,
        on_prompt=on_prompt,
    )
    try:
        call = simulator.run()
    except OSError as error:
        raise click.ClickException(
            f"cannot reach the FastAGI server: {error.strerror or error}"
        ) from None
    except SimulatorError as error:
        raise click.ClickException(str(error)) from None

    click.echo(call.summary(settings.sound_prefix))
    if call.missing_prompts:
        click.echo(
            f"{len(call.missing_prompts)} prompts were not played: run "
            "`callcenter prompts build`",
            err=True,
        )


def sounds_root_of(settings):
    """The folder Asterisk's sound names start from: sounds_path without
    the sound prefix (callcenter/fa); None if it does not end in it."""
    path = settings.sounds_path
    prefix = [part for part in settings.sound_prefix.split("/") if part]
    if list(path.parts[-len(prefix) :]) != prefix:
        return None
    return path.parents[len(prefix) - 1]


def _ask_terminal() -> list[str]:
    from ivr.simulator import parse_events

    while True:
        try:
            text = input("keys (or wait, hangup, record:<wav>)> ")
        except EOFError:
            return ["hangup"]
        try:
            events = parse_events(text)
        except ValueError as error:
            click.echo(f"  {error}", err=True)
            continue
        if events:
            return events


commands = [agi, simulate]
