"""Logging in and out, and the role check every view carries.

Roles nest: an agent works tickets, a supervisor also sees the calls, an
admin also manages closures of the center. A view without a role mark is
refused (default deny), so a new page cannot be left open by mistake.
"""

from __future__ import annotations

import functools
import hmac
import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from callcenter.config import Settings
from callcenter.persian import to_persian_digits
from ticketing import users as user_accounts
from ticketing.models import Role, User
from web_console.database import db_session
from web_console.throttle import LoginThrottle

logger = logging.getLogger(__name__)

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()

ROLE_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}

ROLE_LABELS = {
    Role.AGENT: "کارشناس",
    Role.SUPERVISOR: "سرپرست",
    Role.ADMIN: "مدیر سامانه",
}

# Endpoints anyone may reach; every other view must carry a role mark.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})

# One message for an unknown user, a wrong password and a disabled
# account, so the form does not tell which usernames exist.
LOGIN_FAILED = "نام کاربری یا گذرواژه نادرست است."
LOGIN_THROTTLED = (
    "تلاش‌های ناموفق بسیار بوده است؛ {minutes} دقیقهٔ دیگر دوباره امتحان کنید."
)


class ConsoleUser(UserMixin):
    """The logged-in person, as the views need them (not a database row)."""

    def __init__(self, row: User):
        self.user_id = row.id
        self.username = row.username
        self.full_name = row.full_name or row.username
        self.role = Role(row.role)
        self._session_id = session_id_for(row)

    def get_id(self) -> str:
        return self._session_id

    def has_role(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[Role(role)]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def session_id_for(row: User) -> str:
    """The id kept in the session cookie: the user id and the user's session
    token. Logout, a password change and disabling give the user a new token
    (ticketing.users.end_sessions), so a cookie saved before stops working:
    the session is ended on the server, not only in the browser.
    Known shortcoming: logout ends the user's sessions on every machine."""
    return f"{row.id}:{row.session_token}"


def role_required(role: Role):
    """Let only logged-in users of at least this role reach the view."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                logger.warning(
                    "access: %s (%s) refused %s",
                    current_user.username,
                    current_user.role,
                    request.path,
                )
                abort(403)
            return view(*args, **kwargs)

        guarded.required_role = Role(role)
        return guarded

    return decorate


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["callcenter_login_throttle"] = LoginThrottle(settings.redis_url)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "برای دیدن این صفحه وارد شوید."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_deny_unmarked_views)


def _unauthorized():
    """JSON for the feed's poller, a redirect to the login page otherwise."""
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="نشست شما تمام شده است؛ دوباره وارد شوید."), 401

    flash(login_manager.login_message, "info")
    next_page = None
    if request.method == "GET":
        next_page = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=next_page))


@login_manager.user_loader
def _load_user(session_id: str) -> ConsoleUser | None:
    user_id, _, _ = session_id.partition(":")
    if not user_id.isascii() or not user_id.isdigit():
        return None

    row = db_session().get(User, int(user_id))
    if row is None or not row.active:
        return None
    if not hmac.compare_digest(session_id_for(row), session_id):
        return None
    return ConsoleUser(row)


def _deny_unmarked_views():
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None

    view = current_app.view_functions.get(endpoint)
    if getattr(view, "required_role", None) is None:
        logger.error("access: view %s has no role check; refused", endpoint)
        abort(403)
    return None


class LoginForm(FlaskForm):
    username = StringField(
        "نام کاربری",
        validators=[
            DataRequired("نام کاربری را وارد کنید."),
            Length(max=64, message="نام کاربری بیش از اندازه بلند است."),
        ],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "گذرواژه",
        validators=[
            DataRequired("گذرواژه را وارد کنید."),
            Length(max=200, message="گذرواژه بیش از اندازه بلند است."),
        ],
        render_kw={"autocomplete": "current-password"},
    )


def _safe_next(target: str | None) -> str | None:
    """A redirect target only if it stays on this site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tickets.index"))

    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _login_page(form, None, status)

    # Folded as authenticate folds it, so SUP1, Sup1 and ｓｕｐ１ share one
    # failure counter with sup1.
    username = user_accounts.normalize_username(form.username.data)
    address = request.remote_addr or "-"
    throttle = current_app.extensions["callcenter_login_throttle"]

    wait = throttle.blocked_for(address, username)
    if wait:
        # The typed name stays out of the log: it may be a pasted password.
        logger.warning("login: throttled for a user name from %s", address)
        minutes = to_persian_digits(max(1, -(-wait // 60)))
        return _login_page(form, LOGIN_THROTTLED.format(minutes=minutes), 429)

    row = user_accounts.authenticate(db_session(), username, form.password.data)
    if row is None or not row.active:
        # ticketing.users.authenticate logged why.
        throttle.failed(address, username)
        return _login_page(form, LOGIN_FAILED, 401)

    throttle.succeeded(address, username)
    session.clear()
    login_user(ConsoleUser(row))
    logger.info("login: %s (%s)", row.username, row.role)
    next_page = _safe_next(request.args.get("next"))
    return redirect(next_page or url_for("tickets.index"))


def _login_page(form: LoginForm, error: str | None, status: int):
    return render_template("auth/login.html", form=form, error=error), status


@blueprint.route("/logout", methods=["POST"])
@role_required(Role.AGENT)
def logout():
    logger.info("logout: %s", current_user.username)
    session_db = db_session()
    row = session_db.get(User, current_user.user_id)
    if row is not None:
        user_accounts.end_sessions(session_db, row)
        session_db.commit()
    logout_user()
    session.clear()
    flash("از سامانه خارج شدید.", "info")
    return redirect(url_for("auth.login"))
