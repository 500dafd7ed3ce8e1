"""The `callcenter` command: one entry point for every admin task.

Each area adds its own commands: ticketing (database, users, catalogue,
closures, worker), ivr (FastAGI server, prompts, simulator) and the web
console. Errors in input print a message and exit non-zero.
"""

from __future__ import annotations

import click

from callcenter.config import ConfigError, get_settings
from callcenter.logs import setup_logging


@click.group()
@click.option("--log-level", default=None, help="Overrides CALLCENTER_LOG_LEVEL.")
def main(log_level: str | None) -> None:
    """Persian call center for public-service offices."""
    try:
        settings = get_settings()
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from None
    setup_logging(log_level or settings.log_level)


def _register() -> None:
    from callcenter.demo import commands as demo_commands
    from callcenter.sandbox_cli import commands as sandbox_commands
    from ivr.cli import commands as ivr_commands
    from ticketing.cli import commands as ticketing_commands
    from web_console.cli import commands as web_commands

    for command in (
        *ticketing_commands,
        *ivr_commands,
        *web_commands,
        *sandbox_commands,
        *demo_commands,
    ):
        main.add_command(command)


_register()
