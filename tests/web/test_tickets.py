"""The ticket list, its filters and feed, the ticket page, the status
change and the recording."""

from __future__ import annotations

import json
import re

from sqlalchemy import update

from callcenter.persian import normalize_phone, to_persian_digits
from tests.web.conftest import csrf_token, make_ticket, write_wav
from ticketing.db import session_scope
from ticketing.models import RecordingState, Ticket
from ticketing.tracking import is_valid_tracking_code


def _ticket(url: str, ticket_id: int) -> Ticket:
    with session_scope(url) as session:
        ticket = session.get(Ticket, ticket_id)
        session.expunge(ticket)
        return ticket


def _ids_on_list(client, query: str = "") -> set[int]:
    html = client.get("/tickets" + query).get_data(as_text=True)
    return {int(found) for found in re.findall(r'data-ticket-id="(\d+)"', html)}


def test_list_shows_tickets_with_persian_digits_and_jalali_dates(agent_client, db):
    ticket_id = make_ticket(db)
    code = _ticket(db, ticket_id).tracking_code

    html = agent_client.get("/tickets").get_data(as_text=True)

    assert to_persian_digits(code) in html
    assert "۰۹۱۲۱۲۳۴۵۶۷" in html
    assert "ثبت شده" in html
    assert "۱۴۰" in html  # a Jalali year of this century, in Persian digits


def test_text_filter_typed_with_arabic_letters_finds_persian_text(agent_client, db):
    wanted = make_ticket(db, service_name="صدور کارت ملی")
    other = make_ticket(db, service_name="گواهی فوت")

    found = _ids_on_list(agent_client, "?q=كارت ملي")

    assert found == {wanted}
    assert other not in found


def test_text_filter_typed_with_persian_letters_finds_arabic_text(agent_client, db):
    wanted = make_ticket(db, description="پيگيري كارت")
    make_ticket(db, description="چیز دیگر")

    assert _ids_on_list(agent_client, "?q=پیگیری") == {wanted}


def test_phone_filter_in_persian_or_arabic_indic_digits(agent_client, db):
    wanted = make_ticket(db, caller="09120000000")
    make_ticket(db, caller="09351111111")

    assert _ids_on_list(agent_client, "?phone=۰۹۱۲۰۰۰۰۰۰۰") == {wanted}
    assert _ids_on_list(agent_client, "?phone=٠٩١٢٠٠٠٠٠٠٠") == {wanted}
    assert _ids_on_list(agent_client, "?phone=0912-000-0000") == {wanted}
    assert _ids_on_list(agent_client, "?phone=۰۰۰۰") == {wanted}


def test_tracking_code_filter_in_persian_digits(agent_client, db):
    wanted = make_ticket(db)
    make_ticket(db)
    code = _ticket(db, wanted).tracking_code

    assert _ids_on_list(agent_client, "?code=" + to_persian_digits(code)) == {wanted}


def _ids_for(client, **filters) -> set[int]:
    html = client.get("/tickets", query_string=filters).get_data(as_text=True)
    return {int(found) for found in re.findall(r'data-ticket-id="(\d+)"', html)}


def test_tracking_code_filter_takes_what_the_ivr_and_service_take(agent_client, db):
    wanted = make_ticket(db)
    make_ticket(db)
    code = _ticket(db, wanted).tracking_code
    written = [
        f"{code[:3]}-{code[3:6]}-{code[6:]}",
        f"{code[:5]}_{code[5:]}",
        f"{code[:5]}.{code[5:]}",
        f"{code[:5]}/{code[5:]}",
        f"#{code}#",
        f"{code[:5]}\u200c{code[5:]}",
        to_persian_digits(f"{code[:3]}-{code[3:6]}-{code[6:]}"),
        f" {code[:5]}\t{code[5:]} ",
    ]

    for typed in written:
        # The one normalizer (ticketing.tracking) accepts each of them...
        assert is_valid_tracking_code(typed), typed
        # ...and the console's code field finds the same ticket.
        assert _ids_for(agent_client, code=typed) == {wanted}, typed


def test_text_filter_finds_the_start_of_a_code_written_with_dashes(agent_client, db):
    wanted = make_ticket(db)
    code = _ticket(db, wanted).tracking_code

    found = _ids_for(agent_client, q=f"{code[:3]}-{code[3:6]}")
    separators_only = _ids_for(agent_client, q="-")

    assert found == {wanted}
    assert separators_only == set()


def test_phone_filter_takes_what_the_phone_normalizer_takes(agent_client, db):
    wanted = make_ticket(db, caller="09120000000")
    make_ticket(db, caller="09351111111")

    for typed in ("0912.000.0000", "0912\u00a0000\u00a00000", "+98 912 000 0000"):
        assert normalize_phone(typed) == "09120000000"
        assert _ids_for(agent_client, phone=typed) == {wanted}, typed

    # A plus sign inside the number is no phone number anywhere, so the
    # field says so instead of searching for the digits around it.
    inner_plus = agent_client.get("/tickets", query_string={"phone": "0912+0000000"})
    assert inner_plus.status_code == 400
    assert "+ فقط در آغاز شماره" in inner_plus.get_data(as_text=True)

    # A bare international prefix has no plus to blame: too few digits.
    prefix_only = agent_client.get("/tickets", query_string={"phone": "0098"})
    assert prefix_only.status_code == 400
    assert "چهار رقم" in prefix_only.get_data(as_text=True)
    assert "+ فقط" not in prefix_only.get_data(as_text=True)


def test_mistyped_tracking_code_is_caught_by_its_check_digit(agent_client, db):
    code = _ticket(db, make_ticket(db)).tracking_code
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)

    page = agent_client.get("/tickets?code=" + typo)

    assert page.status_code == 400
    assert "این کد رهگیری درست نیست" in page.get_data(as_text=True)


def test_status_filter(agent_client, db):
    done = make_ticket(db, status="resolved")
    make_ticket(db)

    assert _ids_on_list(agent_client, "?status=resolved") == {done}


def test_agents_read_the_waiting_status_about_the_citizen(agent_client, db):
    ticket_id = make_ticket(db, status="waiting_for_citizen")
    fresh_id = make_ticket(db)

    listed = agent_client.get("/tickets").get_data(as_text=True)
    page = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    offered = agent_client.get(f"/tickets/{fresh_id}").get_data(as_text=True)
    fed = agent_client.get("/tickets/feed?after=0").get_json()["tickets"]

    option = '<option value="waiting_for_citizen">در انتظار پاسخ شهروند</option>'
    assert option in listed and option in offered
    assert "در انتظار پاسخ شهروند" in page
    for html in (listed, page, offered):
        assert "پاسخ شما" not in html
    assert {row["status_label"] for row in fed} >= {"در انتظار پاسخ شهروند"}


def test_citizens_keep_the_waiting_status_addressed_to_them(settings):
    from ivr.prompts import load_prompt_texts
    from ticketing.notifications import compose_text

    heard = load_prompt_texts(settings.path(settings.prompt_text_file))
    sms = compose_text("status_changed", "1234567890", "waiting_for_citizen", "اداره")

    assert heard["status/waiting_for_citizen"] == "در انتظار پاسخ شما"
    assert "«در انتظار پاسخ شما»" in sms


def test_bad_filters_get_persian_errors(agent_client, db):
    make_ticket(db)

    letters = agent_client.get("/tickets?phone=abc")
    short = agent_client.get("/tickets?phone=12")
    code = agent_client.get("/tickets?code=12a4")
    status = agent_client.get("/tickets?status=deleted")

    assert letters.status_code == 400
    assert "شماره تلفن فقط می‌تواند رقم داشته باشد." in letters.get_data(True)
    assert "چهار رقم" in short.get_data(as_text=True)
    assert "کد رهگیری فقط از رقم" in code.get_data(as_text=True)
    assert status.status_code == 400


def test_feed_sends_tickets_after_the_given_id(agent_client, db):
    first = make_ticket(db)

    initial = agent_client.get(f"/tickets/feed?after={first}").get_json()
    second = make_ticket(db, caller="09359876543", service_name="مالیات")
    later = agent_client.get(f"/tickets/feed?after={first}").get_json()

    assert initial == {"tickets": [], "last_id": first, "truncated": False}
    assert [row["id"] for row in later["tickets"]] == [second]
    row = later["tickets"][0]
    assert row["url"] == f"/tickets/{second}"
    assert row["caller"] == "۰۹۳۵۹۸۷۶۵۴۳"
    assert row["service"] == "مالیات"
    assert row["status_label"] == "ثبت شده"
    assert later["last_id"] == second


def test_feed_applies_the_list_filters(agent_client, db):
    make_ticket(db, caller="09120000000")
    wanted = make_ticket(db, caller="09351111111")

    rows = agent_client.get("/tickets/feed?after=0&phone=۱۱۱۱").get_json()["tickets"]

    assert [row["id"] for row in rows] == [wanted]


def test_list_page_tells_the_poller_where_to_start(agent_client, db):
    newest = make_ticket(db)

    html = agent_client.get("/tickets?status=closed").get_data(as_text=True)

    assert f'data-last-id="{newest}"' in html
    assert 'data-feed-url="/tickets/feed?status=closed"' in html


def test_feed_rejects_a_bad_after(agent_client, db):
    response = agent_client.get("/tickets/feed?after=x1")

    assert response.status_code == 400
    assert "after" in response.get_json()["error"]


def test_feed_answers_an_expired_login_with_json_401(client, db):
    response = client.get(
        "/tickets/feed?after=0", headers={"Accept": "application/json"}
    )

    assert response.status_code == 401
    assert "error" in response.get_json()


def test_ticket_page_shows_the_ticket_and_its_history(agent_client, db, settings):
    wav = write_wav(settings.recordings_path / "2026" / "12" / "x.wav")
    ticket_id = make_ticket(db, service_name="گذرنامه", recording=wav)
    code = _ticket(db, ticket_id).tracking_code

    html = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert to_persian_digits(code) in html
    assert "۰۹۱۲۱۲۳۴۵۶۷" in html
    assert "گذرنامه" in html
    assert "ثبت شده" in html
    assert '<audio id="recording" controls' in html
    assert f'src="/tickets/{ticket_id}/recording"' in html
    assert "درخواست با پیام صوتی در تلفن گویا ثبت شد" in html


def test_ticket_page_offers_only_the_next_statuses(agent_client, db):
    ticket_id = make_ticket(db, status="closed")

    html = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert 'value="reopened"' in html
    assert 'value="in_progress"' not in html
    assert 'value="resolved"' not in html


def test_unknown_ticket_is_a_persian_404(agent_client, db):
    page = agent_client.get("/tickets/999999")

    assert page.status_code == 404
    assert "پیدا نشد" in page.get_data(as_text=True)


def test_a_ticket_id_beyond_the_database_is_a_404_not_an_error(agent_client, db):
    too_big = 2**63

    for url in (f"/tickets/{too_big}", f"/tickets/{too_big}/recording"):
        assert agent_client.get(url).status_code == 404, url


def _post_status(client, ticket_id: int, target: str, note: str = ""):
    token = csrf_token(client, f"/tickets/{ticket_id}")
    return client.post(
        f"/tickets/{ticket_id}/status",
        data={"csrf_token": token, "target": target, "note": note},
    )


def test_legal_status_change_with_note_is_saved_with_the_agent(agent_client, db):
    ticket_id = make_ticket(db)

    response = _post_status(agent_client, ticket_id, "in_progress", "تماس گرفته شد")

    assert response.status_code == 302
    assert _ticket(db, ticket_id).status == "in_progress"
    html = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "در حال بررسی" in html
    assert "تماس گرفته شد" in html
    assert "مریم کریمی" in html


def test_note_is_normalized_before_it_is_saved(agent_client, db):
    ticket_id = make_ticket(db)

    _post_status(agent_client, ticket_id, "in_progress", "پيگيري شد ٣ بار")

    with session_scope(db) as session:
        notes = [entry.note for entry in session.get(Ticket, ticket_id).history]
    assert "پیگیری شد 3 بار" in notes


def test_illegal_status_change_is_a_form_error_and_changes_nothing(agent_client, db):
    ticket_id = make_ticket(db, status="closed")

    response = _post_status(agent_client, ticket_id, "in_progress", "نه")

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "وضعیت «بسته شده» را نمی‌توان به «در حال بررسی» تغییر داد." in html
    assert _ticket(db, ticket_id).status == "closed"


def test_unknown_status_is_a_form_error(agent_client, db):
    ticket_id = make_ticket(db)

    response = _post_status(agent_client, ticket_id, "deleted")

    assert response.status_code == 400
    assert "وضعیت انتخاب‌شده شناخته نیست." in response.get_data(as_text=True)
    assert _ticket(db, ticket_id).status == "new"


def test_note_without_status_change(agent_client, db):
    ticket_id = make_ticket(db)

    empty = _post_status(agent_client, ticket_id, "", "  ")
    saved = _post_status(agent_client, ticket_id, "", "شهروند دوباره تماس گرفت")

    assert empty.status_code == 400
    assert "یادداشت را بنویسید" in empty.get_data(as_text=True)
    assert saved.status_code == 302
    html = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "شهروند دوباره تماس گرفت" in html
    assert _ticket(db, ticket_id).status == "new"


def test_status_change_without_csrf_token_is_rejected(agent_client, db):
    ticket_id = make_ticket(db)

    response = agent_client.post(
        f"/tickets/{ticket_id}/status", data={"target": "in_progress"}
    )

    assert response.status_code == 400
    assert _ticket(db, ticket_id).status == "new"


def test_recording_is_served_as_wav_with_range_requests(agent_client, db, settings):
    wav = write_wav(settings.recordings_path / "2026" / "12" / "a.wav", seconds=1)
    ticket_id = make_ticket(db, recording=wav)

    whole = agent_client.get(f"/tickets/{ticket_id}/recording")
    part = agent_client.get(
        f"/tickets/{ticket_id}/recording", headers={"Range": "bytes=0-99"}
    )

    assert whole.status_code == 200
    assert whole.mimetype == "audio/wav"
    assert whole.data == wav.read_bytes()
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert part.status_code == 206
    assert part.data == wav.read_bytes()[:100]
    assert part.headers["Content-Range"].startswith("bytes 0-99/")


def test_pending_recording_is_served_from_the_spool(agent_client, db, settings):
    ticket_id = make_ticket(db)
    spooled = write_wav(settings.spool_local_path / "none-1.wav")

    response = agent_client.get(f"/tickets/{ticket_id}/recording")

    assert _ticket(db, ticket_id).recording_state == RecordingState.PENDING
    assert response.status_code == 200
    assert response.data == spooled.read_bytes()


def test_recording_outside_its_folder_is_not_served(agent_client, db, tmp_path):
    secret = write_wav(tmp_path / "elsewhere" / "secret.wav")
    ticket_id = make_ticket(db, recording=secret)

    assert agent_client.get(f"/tickets/{ticket_id}/recording").status_code == 404
    html = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "<audio" not in html
    assert "پیام صوتی در دسترس نیست" in html


def test_missing_recording_is_a_404(agent_client, db, settings):
    ticket_id = make_ticket(db, recording=settings.recordings_path / "gone.wav")

    assert agent_client.get(f"/tickets/{ticket_id}/recording").status_code == 404


def test_recording_needs_a_login(client, db, settings):
    wav = write_wav(settings.recordings_path / "b.wav")
    ticket_id = make_ticket(db, recording=wav)

    response = client.get(f"/tickets/{ticket_id}/recording")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_call_data_is_escaped_on_every_page(agent_client, db):
    attack = "<script>alert(1)</script>"
    ticket_id = make_ticket(db, description=attack, service_name=attack)
    with session_scope(db) as session:
        session.execute(
            update(Ticket).where(Ticket.id == ticket_id).values(caller_number=attack)
        )

    for path in ("/tickets", f"/tickets/{ticket_id}", "/tickets?q=alert"):
        html = agent_client.get(path).get_data(as_text=True)
        assert attack not in html, path
        assert "&lt;script&gt;" in html, path

    feed = agent_client.get("/tickets/feed?after=0")
    assert feed.mimetype == "application/json"
    service = json.loads(feed.data)["tickets"][0]["service"]
    assert service == to_persian_digits(attack)


def test_tickets_are_listed_newest_first(agent_client, db):
    older = make_ticket(db)
    newer = make_ticket(db)

    html = agent_client.get("/tickets").get_data(as_text=True)

    assert html.index(f'data-ticket-id="{newer}"') < html.index(
        f'data-ticket-id="{older}"'
    )


def test_a_recording_that_could_not_be_stored_says_so_in_the_list(agent_client, db):
    ticket_id = make_ticket(db)
    with session_scope(db) as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(recording_state=RecordingState.FAILED)
        )

    listing = agent_client.get("/tickets").get_data(as_text=True)

    assert "ذخیره نشد" in listing
