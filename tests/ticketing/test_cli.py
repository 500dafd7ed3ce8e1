"""The ticketing commands through click's CliRunner, on the test database."""

from __future__ import annotations

import datetime as dt

import click
import pytest
from click.testing import CliRunner

from callcenter.jalali import format_date, tehran_now, to_jalali
from ticketing.catalogue import active_services
from ticketing.cli import commands
from ticketing.db import session_scope
from ticketing.hours import active_closures, upcoming_closures
from ticketing.models import RecordingState, Ticket
from ticketing.users import authenticate

from .test_jobs import make_ticket, write_wav

# Closures are refused more than a year ahead, so tests use a day near now.
NEAR_DAY = format_date(tehran_now() + dt.timedelta(days=30))
FAR_DAY = format_date(tehran_now() + dt.timedelta(days=400))
PAST_DAY = format_date(tehran_now() - dt.timedelta(days=400))
# This year's Gregorian numbers, whatever the day: 12/31 names no Jalali day
# (Esfand has at most 30), 07/15 a real one six centuries on.
GREGORIAN_DAY = f"{tehran_now().year}/12/31"
GREGORIAN_REAL_JALALI_DAY = f"{tehran_now().year}/07/15"


@pytest.fixture
def run(db):
    group = click.Group("callcenter", commands={c.name: c for c in commands})
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(group, list(args), input=input, catch_exceptions=False)

    return invoke


def test_db_upgrade(run):
    result = run("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "revision 0003" in result.output


def test_user_create_from_stdin(run, db):
    result = run(
        "user", "create", "Reza", "--role", "supervisor", "--full-name", "رضا",
        "--password-stdin", input="a-good-password\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "user reza created (supervisor)" in result.output
    with session_scope(db) as session:
        assert authenticate(session, "reza", "a-good-password") is not None


def test_user_create_errors_exit_non_zero(run):
    run("user", "create", "reza", "--password-stdin", input="a-good-password\n")

    again = run("user", "create", "reza", "--password-stdin", input="a-good-password\n")
    short = run("user", "create", "sara", "--password-stdin", input="short\n")
    role = run(
        "user", "create", "ali", "--role", "boss", "--password-stdin", input="x\n"
    )

    assert again.exit_code == 1 and "already exists" in again.output
    assert short.exit_code == 1 and "at least 8" in short.output
    assert role.exit_code == 2 and "boss" in role.output


def test_user_create_prompts_for_the_password(run):
    result = run("user", "create", "maryam", input="a-good-password\na-good-password\n")

    assert result.exit_code == 0, result.output


def test_catalogue_load(run, db, tmp_path, settings):
    result = run("catalogue", "load")

    assert result.exit_code == 0, result.output
    assert "services loaded" in result.output
    with session_scope(db) as session:
        services = active_services(session)
    assert len(services) >= 4

    # A service callers can pick is one they can hear: its prompts exist.
    for service in services:
        for part in ("menu", "hours", "documents", "online"):
            wav = settings.sounds_path / "service" / service.code / f"{part}.wav"
            assert wav.stat().st_size > 1000, wav

    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  - code: x\n    menu_key: 1\n", encoding="utf-8")
    failed = run("catalogue", "load", str(bad))
    assert failed.exit_code == 1
    assert "bad.yaml:2: service is missing `name`" in failed.output


def test_closure_add_list_clear(run, db):
    added = run(
        "closure", "add", "--date", NEAR_DAY, "--from", "09:00", "--to", "12:30",
        "--reason", "تعمیرات",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    closure_id = added.output.split()[1].rstrip(":")

    listed = run("closure", "list")
    assert "planned" in listed.output and "تعمیرات" in listed.output
    assert f"{NEAR_DAY} ۰۹:۰۰" in listed.output

    assert run("closure", "clear", closure_id).exit_code == 0
    assert "no closures" in run("closure", "list").output
    missing = run("closure", "clear", closure_id)
    assert missing.exit_code == 1 and "no closure" in missing.output


def test_closure_for_the_rest_of_today(run, db):
    result = run("closure", "add", "--reason", "برف سنگین")

    assert result.exit_code == 0, result.output
    with session_scope(db) as session:
        [closure] = active_closures(session)
        assert to_jalali(closure.ends_at) != to_jalali(closure.starts_at)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "1402/12/30"], "no such Jalali day"),
        (["--date", NEAR_DAY, "--from", "25:00"], "expected HH:MM"),
        (["--date", NEAR_DAY, "--from", "12:00", "--to", "09:00"], "end after"),
        (["--date", GREGORIAN_DAY], "looks like a Gregorian date"),
        (["--date", GREGORIAN_REAL_JALALI_DAY], "looks like a Gregorian date"),
        (["--date", FAR_DAY], "more than a year ahead"),
        (["--date", PAST_DAY, "--from", "09:00", "--to", "10:00"], "already over"),
    ],
)
def test_closure_bad_input(run, db, args, message):
    result = run("closure", "add", *args, "--reason", "x")

    assert result.exit_code == 2
    assert message in result.output
    with session_scope(db) as session:
        assert upcoming_closures(session) == []


def test_worker_requeues_pending_and_works_in_burst(run, db, settings, redis_conn):
    ticket_id, _, spooled = make_ticket(db, settings, "1700000300.1-1")
    write_wav(spooled, 1.2)

    result = run("worker", "--burst", "--requeue-pending")

    assert result.exit_code == 0, result.output
    assert "1 pending recordings queued" in result.output
    with session_scope(db) as session:
        assert session.get(Ticket, ticket_id).recording_state == RecordingState.READY


def test_holidays_check(run, tmp_path):
    shipped = run("holidays", "check")
    assert shipped.exit_code == 0, shipped.output
    assert "۱ فروردین ۱۴۰۵  جشن نوروز" in shipped.output

    bad = tmp_path / "holidays.yaml"
    bad.write_text("holidays:\n  - date: 1402/12/30\n    name: x\n", encoding="utf-8")
    failed = run("holidays", "check", str(bad))
    assert failed.exit_code == 1
    assert "holidays.yaml:2: no such Jalali day: '1402/12/30'" in failed.output


def test_holidays_check_refuses_a_gregorian_date(run, tmp_path):
    gregorian = tmp_path / "holidays.yaml"
    gregorian.write_text(
        f"holidays:\n  - date: {GREGORIAN_DAY}\n    name: x\n", encoding="utf-8"
    )

    failed = run("holidays", "check", str(gregorian))

    assert failed.exit_code == 1
    assert f"holidays.yaml:2: {GREGORIAN_DAY}: the year" in failed.output
    assert "looks like a Gregorian date" in failed.output


def test_catalogue_load_refuses_a_pasted_second_header(run, db, tmp_path):
    assert run("catalogue", "load").exit_code == 0
    pasted = tmp_path / "services.yaml"
    pasted.write_text(
        "services:\n"
        "  - {code: a, menu_key: 1, name: a, office_hours: b, "
        "required_documents: c}\n"
        "services:\n"
        "  - {code: b, menu_key: 2, name: a, office_hours: b, "
        "required_documents: c}\n",
        encoding="utf-8",
    )

    failed = run("catalogue", "load", str(pasted))

    assert failed.exit_code == 1
    assert "services.yaml:3: `services` is given twice (first on line 1)" in (
        failed.output
    )
    with session_scope(db) as session:
        assert len(active_services(session)) >= 4


def test_holidays_check_warns_of_an_uncovered_year(run, tmp_path):
    # Only last year's lunar holidays: this year's are missing.
    year = to_jalali(tehran_now()).year - 1
    old = tmp_path / "holidays.yaml"
    old.write_text(
        f"holidays:\n  - date: {year}/01/20\n    name: x\n    lunar: true\n",
        encoding="utf-8",
    )

    result = run("holidays", "check", str(old))

    assert result.exit_code == 0, result.output
    assert "warning:" in result.output
