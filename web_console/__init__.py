"""The agents' and supervisors' web console (Flask).

create_app builds the application: one blueprint per area (auth, tickets,
calls for supervisors, closures for admins), CSRF on every form, a login
required on every page but the login page, and a role check on every view.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from callcenter.config import Settings, get_settings
from web_console import auth, calls, closures, database, filters, tickets

logger = logging.getLogger(__name__)

csrf = CSRFProtect()

# How often the ticket list asks the feed for new tickets.
DEFAULT_FEED_POLL_SECONDS = 5.0

# No inline script or style and nothing from another origin: a caller id that
# slipped past escaping could still not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; media-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


class RowId(IntegerConverter):
    """<int:...> bounded to the databases' 64-bit ids: a larger number is
    no row, so a 404, not an overflow in the driver."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(settings: Settings | None = None) -> Flask:
    """The console for these settings (the process's settings by default)."""
    settings = settings or get_settings()
    app = Flask(__name__)

    app.config.update(
        SECRET_KEY=settings.web_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        # A token lives as long as the login: an agent may leave a ticket
        # open for hours before saving a note.
        WTF_CSRF_TIME_LIMIT=None,
        FEED_POLL_SECONDS=DEFAULT_FEED_POLL_SECONDS,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["callcenter_settings"] = settings
    # Before any route is added: every <int:...> in a URL is a row id.
    app.url_map.converters["int"] = RowId

    database.init_app(app, settings)
    csrf.init_app(app)
    auth.init_app(app, settings)
    filters.init_app(app)

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(tickets.blueprint)
    app.register_blueprint(calls.blueprint)
    app.register_blueprint(closures.blueprint)

    app.jinja_env.globals["vendor"] = _vendor_assets(app)
    _register_error_pages(app)
    app.after_request(_security_headers)
    return app


def _vendor_assets(app: Flask) -> dict[str, bool]:
    """Which files of scripts/install-assets.sh are there; pages link only
    those, and fall back to the console's own CSS and system fonts."""
    vendor = Path(app.static_folder) / "vendor"
    return {
        "bootstrap": (vendor / "bootstrap" / "bootstrap.rtl.min.css").is_file(),
        "vazirmatn": (vendor / "vazirmatn" / "Vazirmatn-font-face.css").is_file(),
    }


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        logger.warning("csrf: rejected form: %s", error.description)
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def too_large(_error):
        return render_template("errors/413.html"), 413


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype in {"text/html", "application/json"}:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


__all__ = ["create_app", "csrf"]
