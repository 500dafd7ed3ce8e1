"""Commands of the IVR for the `callcenter` CLI."""

from __future__ import annotations

import sys

import click

from callcenter.config import get_settings
from ivr.agi.cli import commands as agi_commands


@click.group()
def prompts() -> None:
    """The Persian prompts Asterisk plays."""


@prompts.command("build")
@click.option(
    "--no-services",
    is_flag=True,
    help="Skip the per-service prompts (they need the database).",
)
def prompts_build(no_services: bool) -> None:
    """Generate the WAV files of the prompt catalogue (espeak-ng + sox)."""
    from ivr.prompts import PromptCatalogueError
    from ivr.prompts.build import PromptBuildError, build_prompts

    settings = get_settings()
    try:
        report = build_prompts(settings, [] if no_services else None)
    except (PromptBuildError, PromptCatalogueError) as error:
        raise click.ClickException(str(error)) from None

    click.echo(
        f"{len(report.built)} built, {len(report.recorded)} from recordings, "
        f"{len(report.unchanged)} unchanged in {settings.sounds_path}"
    )


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
