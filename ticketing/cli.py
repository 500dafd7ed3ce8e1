"""Commands of this area for the `callcenter` CLI: database, users, the
service catalogue, closures of the center and the background worker."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callcenter.config import get_settings
from callcenter.jalali import (
    InvalidJalaliDate,
    format_datetime,
    parse_jalali_date,
    tehran_now,
    utc_now,
)
from ticketing.models import Role

logger = logging.getLogger(__name__)


@contextmanager
def _database() -> Iterator[Session]:
    """A committed session; database failures become a one-line error."""
    from ticketing.db import session_scope

    try:
        with session_scope(get_settings().sqlalchemy_url) as session:
            yield session
    except SQLAlchemyError as error:
        first_line = str(error.orig or error).strip().splitlines()[0]
        raise click.ClickException(f"database: {first_line}") from None


# callcenter db ----------------------------------------------------------------


@click.group("db")
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or update the tables (Alembic upgrade head)."""
    from ticketing.migrate import current_revision, upgrade

    url = get_settings().sqlalchemy_url
    try:
        upgrade(url)
        revision = current_revision(url)
    except SQLAlchemyError as error:
        first_line = str(error.orig or error).strip().splitlines()[0]
        raise click.ClickException(f"database: {first_line}") from None
    click.echo(f"database at revision {revision}")


# callcenter user ----------------------------------------------------------------


@click.group("user")
def user() -> None:
    """Console users."""


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.AGENT.value,
    show_default=True,
)
@click.option("--full-name", default="", help="Shown in the console.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (for scripts).",
)
def user_create(username: str, role: str, full_name: str, password_stdin: bool) -> None:
    """Create a console user; the password is asked for unless piped in."""
    from ticketing.users import UserError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)

    with _database() as session:
        try:
            created = create_user(session, username, password, role, full_name)
        except UserError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"user {created.username} created ({created.role})")


@contextmanager
def _existing_user(username: str):
    """The named user in a committed session; a clear error if unknown."""
    from ticketing.users import UserError, require_user

    with _database() as session:
        try:
            yield session, require_user(session, username)
        except UserError as error:
            raise click.ClickException(str(error)) from None


@user.command("list")
def user_list() -> None:
    """Every console user: name, role, state, full name."""
    from ticketing.users import list_users

    with _database() as session:
        found = list_users(session)
        for row in found:
            state = "active" if row.active else "disabled"
            click.echo(f"{row.username}\t{row.role}\t{state}\t{row.full_name}")
    if not found:
        click.echo("no users")


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Refuse the user's logins and end their open sessions at once."""
    from ticketing.users import set_active

    with _existing_user(username) as (session, row):
        set_active(session, row, False)
        name = row.username
    click.echo(f"user {name} disabled; open sessions ended")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Let a disabled user log in again."""
    from ticketing.users import set_active

    with _existing_user(username) as (session, row):
        set_active(session, row, True)
        name = row.username
    click.echo(f"user {name} enabled")


@user.command("set-password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin (for scripts).",
)
def user_set_password(username: str, password_stdin: bool) -> None:
    """Give the user a new password; their open sessions end."""
    from ticketing.users import UserError, set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)

    with _existing_user(username) as (session, row):
        try:
            set_password(session, row, password)
        except UserError as error:
            raise click.ClickException(str(error)) from None
        name = row.username
    click.echo(f"password of {name} changed; open sessions ended")


@user.command("set-role")
@click.argument("username")
@click.argument("role")
def user_set_role(username: str, role: str) -> None:
    """Change the user's role (agent, supervisor or admin)."""
    from ticketing.users import UserError, set_role

    with _existing_user(username) as (session, row):
        try:
            set_role(session, row, role)
        except UserError as error:
            raise click.ClickException(str(error)) from None
        name, now = row.username, row.role
    click.echo(f"user {name} is now {now}")


# callcenter catalogue -------------------------------------------------------------


@click.group("catalogue")
def catalogue() -> None:
    """The service catalogue callers hear in the information menu."""


@catalogue.command("load")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def catalogue_load(file: str | None) -> None:
    """Load the catalogue file (default: the configured one) into the database."""
    from ticketing.catalogue import CatalogueError, load_catalogue

    settings = get_settings()
    path = file or str(settings.path(settings.catalogue_file))
    with _database() as session:
        try:
            services = load_catalogue(session, path)
        except CatalogueError as error:
            raise click.ClickException(f"catalogue not loaded:\n{error}") from None
        for service in services:
            click.echo(f"{service.menu_key}  {service.code}  {service.name}")
    click.echo(f"{len(services)} services loaded from {path}")

    # Callers hear a service only once its prompts exist: build them now,
    # not at the next `prompts build` someone may forget.
    from ivr.prompts.build import PromptBuildError, build_service_prompts

    try:
        report = build_service_prompts(settings, services)
    except PromptBuildError as error:
        raise click.ClickException(
            f"catalogue loaded, but service prompts not built: {error}; "
            "run `callcenter prompts build`"
        ) from None
    click.echo(
        f"service prompts: {len(report.built)} built, "
        f"{len(report.recorded)} recorded, {len(report.unchanged)} unchanged"
    )


# callcenter closure -------------------------------------------------------------


def _closure_window(
    day_text: str | None, from_text: str | None, to_text: str | None
) -> tuple[dt.datetime, dt.datetime]:
    from ticketing.hours import ClosureWindowError, closure_window

    now = tehran_now()
    try:
        day = parse_jalali_date(day_text, now.date()) if day_text else now.date()
    except InvalidJalaliDate as error:
        raise click.BadParameter(str(error), param_hint="--date") from None
    try:
        return closure_window(day, from_text, to_text, now)
    except ClosureWindowError as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None


@click.group("closure")
def closure() -> None:
    """Close the center at short notice (effective at once)."""


@closure.command("add")
@click.option("--from", "from_", help="HH:MM Tehran time (default: now).")
@click.option("--to", help="HH:MM Tehran time (default: end of the day).")
@click.option("--date", "day", help="Jalali date, e.g. 1405/09/13 (default: today).")
@click.option("--reason", required=True, help="Why, in Persian (for the console).")
def closure_add(
    from_: str | None, to: str | None, day: str | None, reason: str
) -> None:
    """Close the center for a stretch of a day; without --from/--to, the rest of
    today."""
    from ticketing.hours import add_closure

    starts, ends = _closure_window(day, from_, to)
    with _database() as session:
        try:
            added = add_closure(session, starts, ends, reason, _who())
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        click.echo(
            f"closure {added.id}: {format_datetime(added.starts_at)} to "
            f"{format_datetime(added.ends_at)}"
        )


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@closure.command("list")
def closure_list() -> None:
    """Closures in force now or later."""
    from ticketing.hours import upcoming_closures

    now = utc_now()
    with _database() as session:
        found = upcoming_closures(session, now)
        for item in found:
            state = "in force" if item.starts_at <= now else "planned"
            click.echo(
                f"{item.id}\t{format_datetime(item.starts_at)} to "
                f"{format_datetime(item.ends_at)}\t{state}\t{item.reason}\t"
                f"{item.created_by}"
            )
    if not found:
        click.echo("no closures")


@closure.command("clear")
@click.argument("closure_id", type=int)
def closure_clear(closure_id: int) -> None:
    """Remove a closure; the center follows its normal hours again."""
    from ticketing.hours import remove_closure

    with _database() as session:
        try:
            remove_closure(session, closure_id, _who())
        except LookupError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"closure {closure_id} removed")


# callcenter holidays -----------------------------------------------------------


@click.group("holidays")
def holidays() -> None:
    """The Jalali holiday list an admin edits."""


@holidays.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def holidays_check(file: str | None) -> None:
    """Check the holiday file (default: the configured one) and list it."""
    from callcenter.jalali import format_long_date, to_tehran, utc_now
    from ticketing.hours import (
        HolidayFileError,
        holiday_coverage_warnings,
        read_holiday_file,
        with_fixed_holidays,
    )

    settings = get_settings()
    path = file or str(settings.path(settings.holidays_file))
    try:
        from_file = read_holiday_file(path)
    except HolidayFileError as error:
        raise click.ClickException(f"holiday file has problems:\n{error}") from None
    found = with_fixed_holidays(from_file)
    for day in sorted(found):
        lunar = " (lunar)" if found[day].lunar else ""
        click.echo(f"{format_long_date(day)}  {found[day].name}{lunar}")
    click.echo(f"{len(found)} holidays in {path}")

    today = to_tehran(utc_now()).date()
    for warning in holiday_coverage_warnings(from_file, path, today):
        click.echo(f"warning: {warning}", err=True)


# callcenter worker ---------------------------------------------------------------


@click.command("worker")
@click.option(
    "--burst",
    is_flag=True,
    help=(
        "Queue the retries that are due, work until the queue is empty, "
        "then stop. Retries still waiting stay in Redis: a running "
        "worker, or the next one started after their time, queues them."
    ),
)
@click.option(
    "--requeue-pending",
    is_flag=True,
    help=(
        "First queue every recording and notification still pending "
        "(e.g. after Redis was down)."
    ),
)
def worker(burst: bool, requeue_pending: bool) -> None:
    """Run the background worker (recordings, notifications) on the rq queue.

    It runs rq's scheduler too: a failed job is tried again after each wait
    of notification_retry_seconds or recording_retry_seconds.
    """
    import redis

    from ticketing import jobs
    from ticketing.notifications import requeue_pending_notifications

    settings = get_settings()
    if requeue_pending:
        with _database() as session:
            count = jobs.requeue_pending(session, settings)
            notifications = requeue_pending_notifications(session, settings)
        click.echo(f"{count} pending recordings queued")
        click.echo(f"{notifications} pending notifications queued")

    try:
        jobs.run_worker(settings, burst=burst)
    except redis.RedisError as error:
        raise click.ClickException(f"redis unavailable: {error}") from None


commands = [db, user, catalogue, closure, holidays, worker]
