"""Jinja filters: Jalali dates in Tehran time, Persian digits, labels."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from markupsafe import Markup, escape

from callcenter import jalali
from callcenter.persian import to_persian_digits
from ticketing.models import CallOutcome
from ticketing.workflow import AGENT_STATUS_LABELS, TicketStatus

OUTCOME_LABELS = {
    CallOutcome.IN_PROGRESS: "در جریان",
    CallOutcome.SELF_SERVED: "پاسخ خودکار",
    CallOutcome.QUEUED: "به صف کارشناس رفت",
    CallOutcome.ANSWERED: "کارشناس پاسخ داد",
    CallOutcome.REQUEST_LEFT: "درخواست ثبت شد",
    CallOutcome.CALLBACK_REQUESTED: "درخواست تماس",
    CallOutcome.ABANDONED: "رها شده",
    CallOutcome.UNSERVED: "بی‌نتیجه",
    CallOutcome.HUNG_UP_IN_MENU: "قطع در منو",
    CallOutcome.FAILED: "خطا",
}

STEP_KIND_LABELS = {
    "menu": "منو",
    "prompt": "پیام",
    "key": "کلید",
    "timeout": "بی‌پاسخ",
    "invalid": "کلید نادرست",
    "action": "اقدام",
    "record": "ضبط",
    "transfer": "انتقال",
    "hangup": "قطع تماس",
}


# Menu nodes (ivr/menus/main.yaml) and flows as supervisors know them; a node
# added to the menu file without a label here shows under its id.
MENU_LABELS = {
    "main": "منوی اصلی",
    "after_service": "پس از اطلاعات خدمت",
    "after_status": "پس از اعلام وضعیت",
    "closed_offer": "پیشنهاد خارج از ساعت کاری",
    "queue_exit": "خروج از صف",
    "queue_exit_key": "خروج از صف با کلید",
    "service_info": "اطلاعات خدمات",
    "consultation": "مشاوره",
    "status_lookup": "پیگیری درخواست",
    "leave_request": "ثبت درخواست",
    "callback": "درخواست تماس",
    "operator": "اپراتور",
}

CLOSED_REASON_LABELS = {
    "after_hours": "خارج از ساعت کاری",
    "weekend": "روز تعطیل هفته",
    "holiday": "تعطیل رسمی",
    "closure": "تعطیلی به دستور",
}


def status_label(status: str | None) -> str:
    try:
        return AGENT_STATUS_LABELS[TicketStatus(status)]
    except ValueError:
        return status or ""


def outcome_label(outcome: str | None) -> str:
    try:
        return OUTCOME_LABELS[CallOutcome(outcome)]
    except ValueError:
        return outcome or ""


def menu_label(node: str | None) -> str:
    return MENU_LABELS.get(node or "", node or "")


def persian_number(value: object) -> str:
    """Any number or code for display, in Persian digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = f"{value:.1f}".rstrip("0").rstrip(".")
    return to_persian_digits(value)


def persian_text(value: str | None) -> str:
    """Free text (a note, a description) with Persian digits. Storage keeps
    ASCII digits so search works; people read «بررسی شد ۱۲۳» as typed."""
    return to_persian_digits(value) if value else ""


def technical(value: object) -> Markup:
    """An id, code or name from the system, kept left-to-right inside the
    Persian line (bidi would otherwise reorder its parts), Persian digits."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(to_persian_digits(value))


# Caller numbers, the one rule for the whole console: every role that can log
# in works tickets and needs the whole number to call a citizen back, and
# every role can open every ticket, so hiding digits on one page protects
# nothing. The console shows whole numbers on every page (persian_phone);
# logs at INFO carry only masked ones (persian.mask_phone).
def persian_phone(value: str | None) -> str:
    return to_persian_digits(value) if value else "ناشناس"


def duration(seconds: float | None) -> str:
    """۱:۰۵ for 65 seconds."""
    # A clock that stepped back can make an end precede its start.
    if not seconds or seconds < 0:
        return to_persian_digits("0:00")
    whole = round(seconds)
    return to_persian_digits(f"{whole // 60}:{whole % 60:02d}")


_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)s?$")

# The steps of a call (ivr.call.CallContext.step, and the flows that write
# them) as supervisors read them. The menu's own actions (ivr.flows.ACTIONS)
# read as the menu they lead to; a value named nowhere here still shows,
# escaped and left-to-right, after a Persian word for its kind.
ACTION_LABELS = {
    "status_attempt": "تلاش برای پیگیری",
    "goodbye": "خداحافظی و پایان تماس",
    "queue_again": "درخواست بازگشت به صف",
    "caller_number": "شماره‌ای که تماس‌گیرنده وارد کرد روی درخواست ثبت شد",
    "verified:caller_id": "هویت تماس‌گیرنده با شمارهٔ تلفن خودش تأیید شد",
    "verified:last_four": "هویت تماس‌گیرنده با چهار رقم آخر شماره تأیید شد",
}

# Who ended the call (ivr.call); call_ended is the hangup handler, which
# sees the end but not who caused it.
HANGUP_LABELS = {
    "caller": "قطع تماس از سوی تماس‌گیرنده",
    "ivr": "قطع تماس از سوی سامانه",
    "call_ended": "پایان تماس",
}

# Checks the IVR made that failed; a wrong menu key is told apart.
INVALID_LABELS = {
    "check_digit": "کد رهگیری نادرست",
    "unknown_code": "کد رهگیری در سامانه پیدا نشد",
    "last_four": "چهار رقم آخر شماره درست نبود",
    "phone_number": "شماره‌ای که وارد شد پذیرفته نشد",
    "no_caller_number": (
        "درخواست شماره‌ای برای تأیید ندارد؛ وضعیت فقط حضوری گفته می‌شود"
    ),
}

KEYPAD_KEYS = frozenset("0123456789*#")


def _seconds(value: str) -> str | None:
    match = _SECONDS.match(value)
    if not match:
        return None
    return f"{persian_number(float(match.group(1)))} ثانیه"


def _queue_name(queue: str) -> Markup:
    """An Asterisk queue by the name supervisors know, or as it is."""
    if queue in MENU_LABELS:
        return escape(MENU_LABELS[queue])
    return technical(queue)


def step_summary(step, services: dict[str, str] | None = None) -> Markup | None:
    """One step of a call as a supervisor reads it, or None for steps not
    worth a line (which prompt played). services maps service codes to
    names. Everything from the call is escaped; technical values (codes,
    unknown names) are wrapped in <bdi dir="ltr">."""
    kind, node, value = step.kind, step.node or "", step.value or ""
    menu = escape(menu_label(node))
    where = Markup(" در «{}»").format(menu) if node else Markup("")

    if kind == "prompt":
        return None
    if kind == "menu":
        return Markup("ورود به «{}»").format(menu) if node else Markup("ورود به منو")
    if kind == "key":
        return _key_summary(value, where)
    if kind == "timeout":
        return Markup("بی‌پاسخ{}").format(where)
    if kind == "invalid":
        return _invalid_summary(value, where)
    if kind == "record":
        return _record_summary(value)
    if kind == "action":
        return _action_summary(value, node, menu, services or {})
    if kind == "transfer":
        if not value:
            return Markup("انتقال به صف")
        return Markup("انتقال به صف «{}»").format(_queue_name(value))
    if kind == "hangup":
        return escape(HANGUP_LABELS.get(value, "قطع تماس"))

    label = escape(STEP_KIND_LABELS.get(kind, kind))
    return Markup("{} {}").format(label, technical(value)) if value else label


def _key_summary(value: str, where: Markup) -> Markup:
    if not value:
        # GET DATA ended with nothing typed (the timeout, or # alone).
        return Markup("چیزی وارد نشد{}").format(where)
    if len(value) > 1 and set(value) == {"*"}:
        # Digits of a phone number, masked by the IVR before they were kept.
        return Markup("{} رقم وارد شد{} (رقم‌ها نگه داشته نمی‌شوند)").format(
            persian_number(len(value)), where
        )
    if len(value) > 1 and value.isascii() and value.isdigit():
        return Markup("رقم‌های {} وارد شد{}").format(technical(value), where)
    if value in KEYPAD_KEYS:
        return Markup("کلید {}{}").format(technical(value), where)
    return Markup("ورودی {}{}").format(technical(value), where)


def _invalid_summary(value: str, where: Markup) -> Markup:
    reason, _, rest = value.partition(":")
    if reason == "short":
        return Markup("پیام بسیار کوتاه بود ({})").format(_seconds(rest) or "")
    if reason == "unplayable":
        return Markup("پیام {} پخش نشد").format(technical(rest))
    if value in INVALID_LABELS:
        return escape(INVALID_LABELS[value])
    if value in KEYPAD_KEYS:
        return Markup("کلید نادرست {}{}").format(technical(value), where)
    return Markup("ورودی نادرست {}{}").format(technical(value), where)


def _record_summary(value: str) -> Markup:
    # The spool path is where Asterisk put the file: nothing for a person.
    if value.startswith("voice "):
        voice = _seconds(value.removeprefix("voice "))
        return Markup("صدای گوینده در پیام: {}").format(voice or "")
    length = _seconds(value)
    if length:
        return Markup("پیام ضبط شد ({})").format(length)
    return Markup("ضبط پیام")


def _action_summary(
    value: str, node: str, menu: Markup, services: dict[str, str]
) -> Markup:
    if value in ACTION_LABELS:
        return escape(ACTION_LABELS[value])
    if value in MENU_LABELS:
        return Markup("رفتن به «{}»").format(MENU_LABELS[value])

    name, _, rest = value.partition(":")
    if name == "ticket":
        return Markup("درخواست ثبت شد، کد {}").format(technical(rest))
    if name == "callback_open":
        code = technical(rest)
        return Markup("تماس‌گیرنده درخواست تماس باز دارد، کد {}").format(code)
    if name == "service":
        service = services.get(rest)
        if service:
            return Markup("اطلاعات خدمت «{}» خوانده شد").format(service)
        return Markup("اطلاعات خدمت {} خوانده شد").format(technical(rest))
    if name == "closed":
        reason = CLOSED_REASON_LABELS.get(rest)
        return Markup("مرکز بسته بود ({})").format(reason or technical(rest))
    if name == "queue_again":
        if rest in ("", "-"):
            return Markup("بازگشت به صف (صف پیشین معلوم نبود)")
        return Markup("بازگشت به صف «{}»").format(_queue_name(rest))
    if name in ("answered", "abandoned"):
        return _queue_end_summary(name, rest, _queue_name(node))
    return Markup("اقدام {}").format(technical(value))


def _queue_end_summary(name: str, seconds: str, queue: Markup) -> Markup:
    """How a queue ended (ivr.flows.call_ended): answered after the hold
    time Asterisk gave, or given up after the wait since the hand-off."""
    waited = _seconds(seconds)
    if name == "answered":
        if waited:
            return Markup("کارشناس در صف «{}» پس از {} انتظار پاسخ داد").format(
                queue, waited
            )
        return Markup("کارشناس در صف «{}» پاسخ داد").format(queue)
    if waited:
        return Markup("تماس‌گیرنده پس از {} انتظار در صف «{}» قطع کرد").format(
            waited, queue
        )
    return Markup("تماس‌گیرنده در صف «{}» پیش از پاسخ کارشناس قطع کرد").format(queue)


# Why the IVR ended a call as it did (the part after "<flow>:" in a call's
# outcome detail).
DETAIL_LABELS = {
    "attempts_used_up": "تلاش‌ها به پایان رسید",
    "nothing_recorded": "پیامی ضبط نشد",
}


def outcome_detail(
    detail: str | None, services: dict[str, str] | None = None
) -> Markup | str:
    """What the IVR noted with the outcome, in Persian: a menu by its name,
    "<flow>:<reason or service code>" as both names, and a tracking code or
    other technical value left-to-right in Persian digits."""
    if not detail:
        return ""
    if detail in MENU_LABELS:
        return MENU_LABELS[detail]

    flow, _, what = detail.partition(":")
    if flow in MENU_LABELS and what:
        named = DETAIL_LABELS.get(what) or (services or {}).get(what)
        return Markup("{}: {}").format(MENU_LABELS[flow], named or technical(what))
    return technical(detail)


def iso_time(moment: dt.datetime | None) -> str:
    """Machine-readable time for <time datetime=...>."""
    return jalali.to_tehran(moment).isoformat() if moment else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(jalali.format_date, "jdate")
    app.add_template_filter(jalali.format_datetime, "jdatetime")
    app.add_template_filter(jalali.format_long_date, "jlongdate")
    app.add_template_filter(persian_number, "fa")
    app.add_template_filter(persian_phone, "phone")
    app.add_template_filter(persian_text, "fa_text")
    app.add_template_filter(technical, "technical")
    app.add_template_filter(step_summary, "step_summary")
    app.add_template_filter(outcome_detail, "outcome_detail")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(outcome_label, "outcome_label")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(menu_label, "menu_label")
    app.add_template_filter(
        lambda reason: CLOSED_REASON_LABELS.get(reason, reason), "closed_reason"
    )
    app.add_template_filter(iso_time, "iso_time")
    app.jinja_env.globals["step_kind_labels"] = STEP_KIND_LABELS
