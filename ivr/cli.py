"""Commands of the IVR for the `callcenter` CLI."""

from __future__ import annotations

import sys

import click

from callcenter.config import get_settings
from ivr.agi.cli import commands as agi_commands


@click.group()
def prompts() -> None:
    """The Persian prompts Asterisk plays."""


_NO_SERVICES = click.option(
    "--no-services",
    is_flag=True,
    help="Skip the per-service prompts (they need the database).",
)


def _warn_unused(unused: list, recorded_dir, no_services: bool) -> int:
    """Print each unused recording on stderr; return how many."""
    if no_services:
        # Without the services, a service recording cannot be judged.
        unused = [u for u in unused if u.path.parts[0] != "service"]
    for recording in unused:
        click.echo(f"warning: {recording.describe(recorded_dir)}", err=True)
    return len(unused)


@prompts.command("build")
@_NO_SERVICES
@click.option(
    "--strict",
    is_flag=True,
    help="Exit non-zero if a recorded file matches no prompt.",
)
def prompts_build(no_services: bool, strict: bool) -> None:
    """Generate the WAV files of the prompt catalogue (espeak-ng + sox).

    A recording in the recorded-prompts folder named after a prompt (see
    `callcenter prompts list`) replaces the generated WAV; a file there that
    names no prompt is named on stderr (--strict: and the exit is 1).
    """
    from ivr.prompts import PromptCatalogueError
    from ivr.prompts.build import PromptBuildError, build_prompts

    settings = get_settings()
    try:
        report = build_prompts(settings, [] if no_services else None)
    except (PromptBuildError, PromptCatalogueError) as error:
        raise click.ClickException(str(error)) from None

    recorded_dir = settings.path(settings.recorded_prompts_dir)
    unused = _warn_unused(report.unused_recordings, recorded_dir, no_services)
    click.echo(
        f"{len(report.built)} built, {len(report.recorded)} from recordings, "
        f"{len(report.unchanged)} unchanged in {settings.sounds_path}"
        + (f"; {unused} recorded files not used (see warnings)" if unused else "")
    )
    if strict and unused:
        sys.exit(1)


@prompts.command("list")
@_NO_SERVICES
def prompts_list(no_services: bool) -> None:
    """Each prompt: its name, the recording that replaces it, its text.

    A recording for prompt a/b is <recorded-prompts folder>/a/b.wav (or
    another format sox reads).
    """
    from ivr.prompts import PromptCatalogueError
    from ivr.prompts.build import (
        PromptBuildError,
        all_prompt_texts,
        recorded_files,
        unused_recordings,
    )

    settings = get_settings()
    try:
        texts = all_prompt_texts(settings, [] if no_services else None)
    except (PromptBuildError, PromptCatalogueError) as error:
        raise click.ClickException(str(error)) from None

    recorded_dir = settings.path(settings.recorded_prompts_dir)
    recorded = recorded_files(recorded_dir, texts)
    width = max(len(name) for name in texts)
    click.echo(f"recordings folder: {recorded_dir}")
    for name in sorted(texts):
        source = recorded.get(name)
        voice = (
            f"recorded {source.relative_to(recorded_dir)}" if source else "generated"
        )
        click.echo(f"{name:<{width}}  {voice}  {texts[name]}")

    unused = unused_recordings(recorded_dir, texts)
    _warn_unused(unused, recorded_dir, no_services)


@click.group()
def menu() -> None:
    """The IVR's menu tree."""


@menu.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def menu_check(file: str | None) -> None:
    """Validate the menu file (default: the configured one)."""
    from ivr.menu import MenuError, load_menu
    from ivr.prompts import PromptCatalogueError

    settings = get_settings()
    path = file or str(settings.path(settings.menu_file))
    try:
        load_menu(path)
    except (MenuError, PromptCatalogueError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"OK {path}")


commands = [*agi_commands, prompts, menu]
