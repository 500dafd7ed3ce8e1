"""The console in Debian's headless Chromium: the ticket page is right to
left with a working audio player, and a new ticket appears in the list
without a reload."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from callcenter.persian import to_persian_digits
from tests.web.conftest import PASSWORD, make_ticket, write_wav
from ticketing.db import session_scope
from ticketing.models import Ticket

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app):
    """The app on a free loopback port, in a thread; stopped after the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(live_server, users):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(locale="fa-IR")
        page = context.new_page()
        page.set_default_timeout(15_000)

        page.goto(live_server + "/login")
        page.fill("#username", "agent1")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(live_server + "/tickets")
        yield page
        context.close()
        browser.close()


def test_ticket_page_is_right_to_left_with_a_playable_recording(
    page, live_server, db, settings
):
    wav = write_wav(settings.recordings_path / "2026" / "12" / "r.wav", seconds=2)
    ticket_id = make_ticket(db, service_name="گذرنامه", recording=wav)

    page.goto(f"{live_server}/tickets/{ticket_id}")

    direction = page.evaluate("getComputedStyle(document.documentElement).direction")
    body_direction = page.evaluate("getComputedStyle(document.body).direction")
    assert (direction, body_direction) == ("rtl", "rtl")
    assert page.get_attribute("html", "lang") == "fa"

    audio = page.locator("audio#recording")
    assert audio.get_attribute("controls") is not None
    # The browser fetched the WAV from the app and read its length.
    page.wait_for_function(
        "document.getElementById('recording').readyState >= 1", timeout=15_000
    )
    seconds = page.evaluate("document.getElementById('recording').duration")
    assert seconds == pytest.approx(2.0, abs=0.05)


def test_new_ticket_appears_in_the_list_without_reload(page, live_server, db):
    older = make_ticket(db)
    page.goto(f"{live_server}/tickets")
    page.wait_for_selector(f'tr[data-ticket-id="{older}"]')
    page.evaluate("window.loadedOnce = 'yes'")

    attack = "<b id='injected'>x</b>"
    newer = make_ticket(db, caller="09351112233", service_name=attack)
    with session_scope(db) as session:
        code = session.get(Ticket, newer).tracking_code

    row = page.wait_for_selector(f'tr[data-ticket-id="{newer}"]', timeout=15_000)

    assert page.evaluate("window.loadedOnce") == "yes"
    assert to_persian_digits(code) in row.inner_text()
    assert "۰۹۳۵۱۱۱۲۲۳۳" in row.inner_text()
    # Call data went in as text: the markup shows, nothing was built from it.
    assert attack in row.inner_text()
    assert page.query_selector("#injected") is None
    first_row = page.query_selector("#ticket-table tbody tr")
    assert first_row.get_attribute("data-ticket-id") == str(newer)

    page.click(f'tr[data-ticket-id="{newer}"] a')
    page.wait_for_url(f"{live_server}/tickets/{newer}")
