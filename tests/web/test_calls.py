"""The supervisors' calls list."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

from tests.web.conftest import login, make_ticket
from ticketing import calls
from ticketing.db import session_scope
from ticketing.models import Service


def _call(url: str, uniqueid: str, caller: str, steps, outcome=None, detail=""):
    with session_scope(url) as session:
        call = calls.start_call(session, uniqueid, "PJSIP/trunk-1", caller, "")
        now = dt.datetime.now(dt.UTC)
        calls.add_steps(
            session, call.id, [(now, kind, node, value) for kind, node, value in steps]
        )
        if outcome:
            calls.end_call(session, call.id, outcome, detail)
        return call.id


STEPS = [
    ("menu", "main", ""),
    ("prompt", "main", "main/greeting"),
    ("key", "main", "4"),
    ("menu", "leave_request", ""),
    ("record", "leave_request", "3.2"),
]


def test_supervisor_sees_calls_with_path_outcome_and_ticket(client, users, db):
    call_id = _call(db, "1733300000.1", "09121234567", STEPS, "request_left")
    ticket_id = make_ticket(db, call_id=call_id)
    login(client, "super1")

    html = client.get("/calls").get_data(as_text=True)

    assert "منوی اصلی ← ثبت درخواست" in html
    assert "درخواست ثبت شد" in html
    assert f'href="/tickets/{ticket_id}"' in html


def test_supervisor_sees_the_whole_number_as_on_the_ticket_page(client, users, db):
    call_id = _call(db, "1733300000.2", "09121234567", STEPS, "request_left")
    ticket_id = make_ticket(db, call_id=call_id)
    login(client, "super1")

    calls_html = client.get("/calls").get_data(as_text=True)
    ticket_html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert "۰۹۱۲۱۲۳۴۵۶۷" in calls_html
    assert "۰۹۱۲۱۲۳۴۵۶۷" in ticket_html
    assert "*******" not in calls_html


def test_hung_up_in_menu_names_the_menu_and_open_call_shows_running(client, users, db):
    _call(db, "1733300000.3", "09120000001", STEPS[:3], "hung_up_in_menu", "main")
    _call(db, "1733300000.4", "09120000002", STEPS[:1])
    login(client, "super1")

    html = client.get("/calls").get_data(as_text=True)

    assert "قطع در منو" in html
    assert "(منوی اصلی)" in html
    assert "در جریان" in html


def test_outcome_details_read_in_persian(client, users, db):
    with session_scope(db) as session:
        session.add(Service(code="tax", menu_key="4", name="مالیات"))
    _call(
        db, "1733300000.5", "09120000003", STEPS[:1], "self_served", "service_info:tax"
    )
    _call(
        db, "1733300000.6", "09120000004", STEPS[:1],
        "unserved", "status_lookup:attempts_used_up",
    )  # fmt: skip
    login(client, "super1")

    html = client.get("/calls").get_data(as_text=True)

    assert "مالیات" in html and "service_info" not in html
    assert "بی‌نتیجه" in html
    assert "تلاش‌ها به پایان رسید" in html and "attempts_used_up" not in html


def test_outcome_filter(client, users, db):
    _call(db, "1733300000.5", "09120000005", STEPS, "queued")
    _call(db, "1733300000.6", "09120000006", STEPS, "abandoned")
    login(client, "super1")

    html = client.get("/calls?outcome=queued").get_data(as_text=True)
    bad = client.get("/calls?outcome=exploded")

    assert html.count('class="call-row"') == 1
    assert "۰۰۰۵" in html
    assert bad.status_code == 400
    assert "این گزینه در فهرست نیست." in bad.get_data(as_text=True)


def test_calls_list_escapes_call_data(client, users, db):
    attack = "<img src=x onerror=alert(1)>"
    _call(
        db, "1733300000.7", "09120000007", [("menu", attack, attack)], "failed", attack
    )
    login(client, "admin1")

    html = client.get("/calls").get_data(as_text=True)

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_calls_list_pages(client, users, db):
    for number in range(55):
        _call(db, f"1733300001.{number}", "09120000000", STEPS[:1], "abandoned")
    login(client, "super1")

    first = client.get("/calls").get_data(as_text=True)
    second = client.get("/calls?page=۲").get_data(as_text=True)

    assert first.count('class="call-row"') == 50
    assert second.count('class="call-row"') == 5
    assert "/calls?page=2" in first


def test_hangup_steps_name_who_hung_up():
    from types import SimpleNamespace

    from web_console.filters import step_summary

    def hangup(value):
        return str(step_summary(SimpleNamespace(kind="hangup", node="", value=value)))

    assert hangup("caller") == "قطع تماس از سوی تماس‌گیرنده"
    assert hangup("ivr") == "قطع تماس از سوی سامانه"
    assert hangup("call_ended") == "پایان تماس"


def test_every_menu_node_and_flow_has_a_persian_label(settings):
    from ivr.flows import FLOWS
    from ivr.menu import load_menu
    from web_console.filters import MENU_LABELS

    menu = load_menu(settings.path(settings.menu_file))
    # queue_again is an action that returns to a queue, never a node entered.
    entered = set(menu.nodes) | (set(FLOWS) - {"queue_again"})

    assert entered - set(MENU_LABELS) == set()


def test_queue_results_in_the_list_and_its_filter(client, users, db):
    queued = [
        ("menu", "consultation", ""),
        ("transfer", "consultation", "consultation"),
    ]
    _call(
        db,
        "1733300002.1",
        "09120000021",
        [*queued, ("action", "consultation", "answered:42")],
        "answered",
        "PJSIP/101",
    )
    _call(
        db,
        "1733300002.2",
        "09120000022",
        [*queued, ("action", "consultation", "abandoned:95")],
        "abandoned",
        "consultation",
    )
    login(client, "super1")

    everything = client.get("/calls").get_data(as_text=True)
    answered = client.get("/calls?outcome=answered").get_data(as_text=True)

    assert '<option value="answered">کارشناس پاسخ داد</option>' in everything
    assert answered.count('class="call-row"') == 1
    assert "۰۰۲۱" in answered and "۰۰۲۲" not in answered
    assert "PJSIP/۱۰۱" in answered
    assert "کارشناس در صف «مشاوره» پس از ۴۲ ثانیه انتظار پاسخ داد" in answered
    assert "تماس‌گیرنده پس از ۹۵ ثانیه انتظار در صف «مشاوره» قطع کرد" in everything


def test_a_queue_result_in_an_unknown_queue_is_set_apart_left_to_right():
    from types import SimpleNamespace

    from web_console.filters import duration, step_summary

    step = SimpleNamespace(kind="action", node="night<q>", value="answered:5")

    assert str(step_summary(step)) == (
        'کارشناس در صف «<bdi dir="ltr">night&lt;q&gt;</bdi>» '
        "پس از ۵ ثانیه انتظار پاسخ داد"
    )
    assert duration(-5) == "۰:۰۰"


def test_queue_result_steps_without_a_time():
    from types import SimpleNamespace

    from web_console.filters import step_summary

    def action(value):
        step = SimpleNamespace(kind="action", node="operator", value=value)
        return str(step_summary(step))

    assert action("answered") == "کارشناس در صف «اپراتور» پاسخ داد"
    assert (
        action("abandoned") == "تماس‌گیرنده در صف «اپراتور» پیش از پاسخ کارشناس قطع کرد"
    )
    # Whatever the step holds is escaped.
    assert "<b>" not in action("answered:<b>")


def _step(kind: str, value: str = "", node: str = "status_lookup"):
    from types import SimpleNamespace

    return SimpleNamespace(kind=kind, node=node, value=value)


def test_route_details_name_actions_services_and_checks_in_persian(client, users, db):
    with session_scope(db) as session:
        session.add(Service(code="passport", menu_key="2", name="گذرنامه"))
    steps = [
        ("menu", "main", ""),
        ("key", "main", "3"),
        ("action", "main", "status_lookup"),
        ("menu", "status_lookup", ""),
        ("action", "status_lookup", "status_attempt"),
        ("key", "status_lookup", "1234567890"),
        ("action", "status_lookup", "verified:caller_id"),
        ("key", "status_lookup", ""),
        ("invalid", "status_lookup", "last_four"),
        ("key", "status_lookup", "****"),
        ("action", "status_lookup", "verified:last_four"),
        ("menu", "service_info", ""),
        ("action", "service_info", "service:passport"),
    ]
    _call(db, "1733300003.1", "09120000031", steps, "self_served", "status_lookup")
    login(client, "super1")

    html = client.get("/calls").get_data(as_text=True)
    details = html[html.index('<ol class="steps">') : html.index("</ol>")]
    lines = re.findall(r"<li>(.*?)</li>", details, re.S)

    for internal in ("status_lookup", "passport", "verified", "caller_id", "last_four"):
        assert internal not in details
    assert "رفتن به «پیگیری درخواست»" in details
    assert "اطلاعات خدمت «گذرنامه» خوانده شد" in details
    assert "هویت تماس‌گیرنده با شمارهٔ تلفن خودش تأیید شد" in details
    assert "چهار رقم آخر شماره درست نبود" in details
    assert "هویت تماس‌گیرنده با چهار رقم آخر شماره تأیید شد" in details
    assert 'رقم‌های <bdi dir="ltr">۱۲۳۴۵۶۷۸۹۰</bdi> وارد شد' in details
    assert "۴ رقم وارد شد" in details
    # Nothing typed is said; no line ends with a bare label.
    assert "چیزی وارد نشد در «پیگیری درخواست»" in details
    assert len(lines) == len(steps)
    for line in lines:
        said = re.sub(r"<[^>]+>", "", line).split("·", 1)[1].strip()
        assert said and "«»" not in said and "  " not in said, line
        assert not re.search(r"[A-Za-z]", said), line


# What the IVR writes from a variable rather than a literal, by step kind:
# keys from ivr/choice.py and the flows, actions from the menu (navigator,
# queue_exit) and the queue's end (call_ended), the recording's spool path.
VARIABLE_STEPS = {
    "key": ["4", "*", "#", "1234567890", "****", ""],
    "invalid": ["7", "#"],
    "timeout": ["5"],
    "action": ["goodbye", "answered:42", "abandoned:95", "answered", "abandoned"],
    "record": ["/var/spool/asterisk/callcenter/1733.5-1"],
    "transfer": ["consultation", "operator"],
    "hangup": ["caller", "ivr", "call_ended"],
    "menu": [""],
    "prompt": ["main/greeting"],
}

# Stands for every {placeholder} of an f-string step value.
SAMPLE = "12"


def _literal(node: ast.expr) -> str | None:
    """A step value as the IVR writes it, or None when it is a variable."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else SAMPLE
            for part in node.values
        )
    return None


def _steps_written_by_the_ivr() -> tuple[set[tuple[str, str]], set[str]]:
    """(kind, value) of every call.step() in ivr/ with a literal value, and
    the kinds of those whose value is a variable."""
    import ivr

    literal: set[tuple[str, str]] = set()
    variable: set[str] = set()
    for path in Path(ivr.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "step"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                continue
            kind = node.args[0].value
            value = _literal(node.args[1]) if len(node.args) > 1 else ""
            if value is None:
                variable.add(kind)
            else:
                literal.add((kind, value))
    return literal, variable


def test_every_step_the_ivr_writes_reads_in_persian():
    from ivr.flows import ACTIONS
    from web_console.filters import step_summary

    literal, variable = _steps_written_by_the_ivr()
    # The scan must see the IVR's steps, or this test would prove nothing.
    assert {("action", "verified:caller_id"), ("invalid", "last_four")} <= literal
    assert variable <= set(VARIABLE_STEPS), "add samples for the new step"

    samples = set(literal)
    samples |= {
        (kind, value) for kind in VARIABLE_STEPS for value in VARIABLE_STEPS[kind]
    }
    samples |= {("action", action) for action in ACTIONS}
    services = {SAMPLE: "گذرنامه"}

    for kind, value in sorted(samples):
        said = step_summary(_step(kind, value), services)
        if kind == "prompt":
            assert said is None
            continue
        text = re.sub(r"<[^>]+>", "", str(said))
        assert text.strip() and "«»" not in text, (kind, value)
        assert not re.search(r"[A-Za-z]", text), (kind, value, text)


def test_unknown_step_values_show_escaped_and_readable():
    from web_console.filters import step_summary

    for kind, value in [
        ("action", "<b>new_action</b>"),
        ("action", "service:<b>"),
        ("action", "closed:<b>"),
        ("action", "queue_again:<b>"),
        ("invalid", "<b>new_check</b>"),
        ("key", "<b>"),
        ("transfer", "<b>"),
        ("<b>", "<i>"),
    ]:
        said = str(step_summary(_step(kind, value)))
        assert "<b>" not in said and "<i>" not in said, (kind, value)
        assert "&lt;" in said, (kind, value)
