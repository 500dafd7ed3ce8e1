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
    """Serve the console with werkzeug's threaded HTTP server.

    Fit for one office's agents on a trusted network. A larger center
    should put it behind a production WSGI server and a TLS proxy; nothing
    here does TLS.
    """
    from werkzeug.serving import make_server

    from web_console import create_app

    handler = _access_log_handler()

    settings = get_settings()
    host = host or settings.web_host
    port = port or settings.web_port

    try:
        app = create_app(settings)
    except Exception as error:
        raise click.ClickException(f"web console cannot start: {error}") from None

    # A busy port or an address not on this machine: werkzeug prints what
    # is wrong and exits with status 1 itself.
    server = make_server(host, port, app, threaded=True, request_handler=handler)

    click.echo(f"web console on http://{host}:{server.server_port}/")
    logger.info("web: serving on %s:%s", host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("web: stopped")
    finally:
        server.server_close()


def _access_log_handler():
    """werkzeug's request handler, with an access log line that leaves out
    the query string: searches carry phone numbers and tracking codes,
    which INFO logs must not hold."""
    from urllib.parse import urlsplit

    from werkzeug.serving import WSGIRequestHandler

    class AccessLogWithoutQuery(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            status = getattr(code, "value", code)
            path = urlsplit(self.path).path
            logger.info(
                "%s %s %s %s", self.address_string(), self.command, path, status
            )

    return AccessLogWithoutQuery


commands = [web]
