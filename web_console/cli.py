"""Commands of this area for the `callcenter` CLI: `callcenter web serve`."""

from __future__ import annotations

import logging

import click

from callcenter.config import get_settings

logger = logging.getLogger(__name__)


@click.group("web")
def web() -> None:
    """The agents' web console."""


@web.command("serve")
@click.option("--host", default=None, help="Address to listen on (web_host).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="web_port.")
def serve(host: str | None, port: int | None) -> None:
    """Serve the console with werkzeug's threaded server.

    Fit for one office's agents on a trusted network. A larger center
    should put it behind a production WSGI server and a TLS proxy; nothing
    here does TLS.
    """
    from werkzeug.serving import run_simple

    from web_console import create_app

    settings = get_settings()
    host = host or settings.web_host
    port = port or settings.web_port

    try:
        app = create_app(settings)
    except Exception as error:
        raise click.ClickException(f"web console cannot start: {error}") from None

    click.echo(f"web console on http://{host}:{port}/")
    logger.info("web: serving on %s:%s", host, port)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {error.strerror}"
        ) from None


commands = [web]
