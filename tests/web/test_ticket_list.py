"""The ticket list reaching every ticket (pages, oldest first), numeric
arguments, wider text search, caller names, Persian digits in notes and the
readable call path."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.conftest import csrf_token, login, make_ticket
from ticketing import calls
from ticketing import service as ticket_service
from ticketing.db import session_scope
from ticketing.models import Ticket


def _ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-ticket-id="(\d+)"', html)]


def _link(html: str, css_class: str) -> str | None:
    match = re.search(rf'class="{css_class}" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def _call(url: str, uniqueid: str, name: str = "", steps=()) -> int:
    with session_scope(url) as session:
        call = calls.start_call(session, uniqueid, "PJSIP/trunk-1", "09121234567", name)
        now = dt.datetime.now(dt.UTC)
        calls.add_steps(
            session, call.id, [(now, kind, node, value) for kind, node, value in steps]
        )
        return call.id


def _note(url: str, ticket_id: int, note: str) -> None:
    with session_scope(url) as session:
        ticket_service.add_note(session, session.get(Ticket, ticket_id), note, None)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("web_console.tickets.LIST_LIMIT", 3)


def test_older_tickets_are_reached_page_by_page(agent_client, db, small_pages):
    made = [make_ticket(db) for _ in range(7)]

    seen, url = [], "/tickets"
    while url:
        html = agent_client.get(url).get_data(as_text=True)
        seen += _ids(html)
        url = _link(html, "next-page")

    assert seen == list(reversed(made))


def test_oldest_first_pages_through_the_backlog(agent_client, db, small_pages):
    made = [make_ticket(db) for _ in range(5)]

    first = agent_client.get("/tickets?sort=old").get_data(as_text=True)
    second = agent_client.get(_link(first, "next-page")).get_data(as_text=True)

    assert _ids(first) == made[:3]
    assert _ids(second) == made[3:]
    assert _link(second, "next-page") is None
    assert "sort=old" in _link(first, "next-page")


def test_only_the_newest_first_front_page_is_fed_live(agent_client, db, small_pages):
    for _ in range(4):
        make_ticket(db)

    front = agent_client.get("/tickets").get_data(as_text=True)
    older = agent_client.get(_link(front, "next-page")).get_data(as_text=True)
    backlog = agent_client.get("/tickets?sort=old").get_data(as_text=True)

    assert 'data-feed-url="/tickets/feed"' in front
    assert 'data-feed-url=""' in older
    assert 'data-feed-url=""' in backlog


@pytest.mark.parametrize(
    "query",
    ["after=99999999999999999999999", "after=-1", "after=۱x", "after=2147483648"],
)
def test_feed_refuses_numbers_it_cannot_use(agent_client, db, query):
    response = agent_client.get("/tickets/feed?" + query)

    assert response.status_code == 400
    assert "after" in response.get_json()["error"]


@pytest.mark.parametrize(
    "query", ["before=99999999999999999999999", "after=abc", "before=1&after=2"]
)
def test_list_refuses_bad_paging_arguments(agent_client, db, query):
    response = agent_client.get("/tickets?" + query)

    assert response.status_code == 400
    assert "form-error" in response.get_data(as_text=True)


def test_calls_list_refuses_a_bad_page(client, users, db):
    login(client, "super1")

    for page in ("99999999999999999999999", "0", "x"):
        response = client.get(f"/calls?page={page}")
        assert response.status_code == 400
        assert "شمارهٔ صفحه" in response.get_data(as_text=True)


def test_text_search_finds_notes_and_caller_names(agent_client, db):
    by_note = make_ticket(db)
    _note(db, by_note, "پرونده به اداره كل رفت")
    by_name = make_ticket(db, call_id=_call(db, "1733400000.1", "رضا محمدی"))
    make_ticket(db)

    assert _ids(agent_client.get("/tickets?q=اداره کل").get_data(as_text=True)) == [
        by_note
    ]
    assert _ids(agent_client.get("/tickets?q=محمدي").get_data(as_text=True)) == [
        by_name
    ]


def test_partial_tracking_code_in_the_code_field_gives_a_hint(agent_client, db):
    ticket_id = make_ticket(db)
    with session_scope(db) as session:
        code = session.get(Ticket, ticket_id).tracking_code

    response = agent_client.get(f"/tickets?code={code[:5]}")
    by_text = agent_client.get(f"/tickets?q={code[:5]}").get_data(as_text=True)

    assert response.status_code == 400
    assert "خانهٔ «متن»" in response.get_data(as_text=True)
    assert _ids(by_text) == [ticket_id]


def test_caller_name_is_shown_escaped_on_list_page_and_feed(agent_client, db):
    name = "<b>رضا</b>"
    ticket_id = make_ticket(db, call_id=_call(db, "1733400000.2", name))

    listed = agent_client.get("/tickets").get_data(as_text=True)
    page = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    fed = agent_client.get("/tickets/feed?after=0").get_json()

    for html in (listed, page):
        assert "&lt;b&gt;رضا&lt;/b&gt;" in html
        assert "<b>رضا</b>" not in html
    assert fed["tickets"][0]["caller_name"] == name


def test_notes_are_shown_with_persian_digits(agent_client, db):
    ticket_id = make_ticket(db)
    token = csrf_token(agent_client, f"/tickets/{ticket_id}")
    agent_client.post(
        f"/tickets/{ticket_id}/status",
        data={"csrf_token": token, "target": "", "note": "بررسی شد ۱۲۳"},
    )

    html = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "بررسی شد ۱۲۳" in html
    assert "بررسی شد 123" not in html


STEPS = [
    ("menu", "main", ""),
    ("prompt", "main", "main/greeting"),
    ("key", "main", "4"),
    ("menu", "leave_request", ""),
    ("record", "leave_request", "/var/spool/asterisk/callcenter/1733.5-1.wav"),
    ("record", "leave_request", "5.32s"),
    ("action", "leave_request", "ticket:1234567890"),
]


def test_call_steps_read_as_persian_without_internal_names(client, users, db):
    with session_scope(db) as session:
        call_id = _call(db, "1733400000.3", "", STEPS)
        calls.end_call(session, call_id, "request_left", "1234567890")
    login(client, "super1")

    html = client.get("/calls").get_data(as_text=True)
    steps = html[html.index('<ol class="steps">') : html.index("</ol>")]

    for internal in ("leave_request", "main/greeting", "ticket:", "5.32", "/var/"):
        assert internal not in steps
    assert "ورود به «ثبت درخواست»" in steps
    assert 'کلید <bdi dir="ltr">۴</bdi>' in steps
    assert "پیام ضبط شد (۵٫۳ ثانیه)" in steps or "پیام ضبط شد (۵.۳ ثانیه)" in steps
    assert 'درخواست ثبت شد، کد <bdi dir="ltr">۱۲۳۴۵۶۷۸۹۰</bdi>' in steps
    assert '(<bdi dir="ltr">۱۲۳۴۵۶۷۸۹۰</bdi>)' in html


def test_service_names_and_descriptions_show_persian_digits(agent_client, db):
    ticket_id = make_ticket(db, service_name="گواهی 10 ساله", description="پرونده 45")

    listed = agent_client.get("/tickets").get_data(as_text=True)
    page = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    fed = agent_client.get("/tickets/feed?after=0").get_json()

    assert "گواهی ۱۰ ساله" in listed
    assert "گواهی ۱۰ ساله" in page and "پرونده ۴۵" in page
    assert fed["tickets"][0]["service"] == "گواهی ۱۰ ساله"
