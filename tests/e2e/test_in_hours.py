"""A call through the IVR's own hand-off to the consultation queue.

The IVR sends main menu key 2 to the queue only in business hours
(ticketing.hours), and the package's `agi serve` runs on the real clock.
Here a second `agi serve` runs with libfaketime preloaded (FAKETIME
"@<moment>": its clock starts at <moment> and ticks on), <moment> being
10:00 Tehran on the next day the center is open, so the test does not
depend on when it runs. The dialplan's [e2e-in-hours] (callers.conf)
reaches that server through the global E2E_IN_HOURS_AGI, set over AMI.

The library is preloaded into the server itself rather than run through
the `faketime` wrapper, which does not pass SIGTERM on to its child and
leaves files in /dev/shm when killed.

Known limits of libfaketime 0.9.10 with Python 3.11, whichever way it is
run: with the monotonic clock faked, threading.Event.wait(1.0) never
returns (its deadline comes from the faked clock, the kernel waits on the
real one), so the monotonic clock is left alone; and then time.sleep()
fails with EINVAL. The server's path in this test does not sleep (its
shutdown sleeps only while calls are still running); a change that makes
it sleep shows up here as an OSError in the server's log.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from callcenter.jalali import TEHRAN, utc_now
from callcenter.processes import free_port, spawn, wait_for_port
from callcenter.sandbox_caller import ScriptedCall
from tests.e2e.conftest import stop_process
from tests.e2e.test_calls import (
    ANSWERING_MEMBER,
    FILER,
    QUEUE,
    call_ended_record,
    main_menu,
    queue_member,
)
from ticketing.db import session_scope
from ticketing.hours import center_status
from ticketing.models import CallOutcome

pytestmark = pytest.mark.e2e

# Days to look ahead for an open one: Nowruz closes about two weeks.
SEARCH_DAYS = 30


def next_open_moment(settings) -> dt.datetime:
    """10:00 Tehran on the first day after today that the center is open,
    by the test db's closures and the holiday file."""
    today = utc_now().astimezone(TEHRAN).date()
    with session_scope(settings.database_url) as session:
        for ahead in range(1, SEARCH_DAYS + 1):
            day = today + dt.timedelta(days=ahead)
            moment = dt.datetime.combine(day, dt.time(10, 0), tzinfo=TEHRAN)
            if center_status(session, settings, moment).is_open:
                return moment
    pytest.fail(f"the center is closed at 10:00 on each of the next {SEARCH_DAYS} days")


def libfaketime() -> Path:
    """The preload library of Debian's libfaketime, whatever the arch."""
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    assert found, "libfaketime is missing: scripts/setup.sh installs faketime"
    return found[0]


@pytest.fixture(scope="module")
def in_hours_agi(product, ami, e2e_env, e2e_settings):
    """A second `agi serve` whose clock starts at an open moment; yields its
    host:port and log file. The global E2E_IN_HOURS_AGI points at it."""
    library = libfaketime()

    moment = next_open_moment(e2e_settings)
    port = free_port()
    # libfaketime reads "@YYYY-MM-DD hh:mm:ss" in the process's zone: UTC.
    start_at = moment.astimezone(dt.UTC).strftime("@%Y-%m-%d %H:%M:%S")
    clock = {
        "LD_PRELOAD": str(library),
        "FAKETIME": start_at,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "UTC",
    }
    log_path = product["logs"] / "agi-in-hours.log"

    args = ["agi", "serve", "--host", e2e_settings.agi_host, "--port", str(port)]
    server = spawn("agi-in-hours", args, {**e2e_env, **clock}, product["logs"])
    try:
        wait_for_port(port, server)
        address = f"{e2e_settings.agi_host}:{port}"
        # Setvar without a Channel sets a global of the dialplan.
        ami.action("Setvar", Variable="E2E_IN_HOURS_AGI", Value=address)
        read_back = ami.action("Getvar", Variable="E2E_IN_HOURS_AGI")
        assert read_back.keys.get("Value") == address, read_back.keys
        yield {"address": address, "log": log_path, "moment": moment}
    finally:
        stop_process(server)
        ami.action("Setvar", Variable="E2E_IN_HOURS_AGI", Value="")


def test_main_menu_key_2_in_hours_reaches_a_member(
    in_hours_agi, ami, sandbox, e2e_settings
):
    with queue_member(ami, sandbox, ANSWERING_MEMBER):
        call = ScriptedCall.place(ami, FILER, ivr_context="e2e-in-hours", name="e2e")
        call.when(main_menu(e2e_settings), "d2")
        # The member answers at once, talks two seconds and hangs up.
        call.wait_ended(timeout=90)
        record = call_ended_record(e2e_settings, call.ivr_uniqueid)

    steps = record["steps"]
    assert ("key", "main", "2") in steps, steps
    # consultation's own menu node, open, and its hand-off to the queue.
    assert ("menu", "consultation", "") in steps, steps
    assert ("transfer", "consultation", QUEUE) in steps, steps
    closed = [s for s in steps if s[0] == "action" and s[2].startswith("closed:")]
    assert not closed, steps

    assert record["outcome"] == CallOutcome.ANSWERED
    assert record["detail"] == ANSWERING_MEMBER
    answered = [s for s in steps if s[:2] == ("action", QUEUE)]
    assert len(answered) == 1, steps
    assert re.fullmatch(r"answered:\d+", answered[0][2]), answered

    # The in-hours server ran the whole call; nothing went wrong there.
    log = in_hours_agi["log"].read_text()
    assert call.ivr_uniqueid in log, log[-2000:]
    errors = [
        line for line in log.splitlines() if re.search(r" (ERROR|CRITICAL) ", line)
    ]
    assert not errors, errors
    assert "Traceback" not in log, log[-3000:]
