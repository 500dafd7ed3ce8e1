"""Jinja filters: Jalali dates in Tehran time, Persian digits, labels."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from callcenter import jalali
from callcenter.persian import mask_phone, to_persian_digits
from ticketing.models import CallOutcome
from ticketing.workflow import STATUS_LABELS, TicketStatus

OUTCOME_LABELS = {
    CallOutcome.IN_PROGRESS: "در جریان",
    CallOutcome.SELF_SERVED: "پاسخ خودکار",
    CallOutcome.QUEUED: "به صف کارشناس رفت",
    CallOutcome.REQUEST_LEFT: "درخواست ثبت شد",
    CallOutcome.CALLBACK_REQUESTED: "درخواست تماس",
    CallOutcome.ABANDONED: "رها شده",
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
        return STATUS_LABELS[TicketStatus(status)]
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


def persian_phone(value: str | None) -> str:
    return to_persian_digits(value) if value else "ناشناس"


def masked_phone(value: str | None) -> str:
    return to_persian_digits(mask_phone(value)) if value else "ناشناس"


def duration(seconds: float | None) -> str:
    """۱:۰۵ for 65 seconds."""
    if not seconds:
        return to_persian_digits("0:00")
    whole = round(seconds)
    return to_persian_digits(f"{whole // 60}:{whole % 60:02d}")


def iso_time(moment: dt.datetime | None) -> str:
    """Machine-readable time for <time datetime=...>."""
    return jalali.to_tehran(moment).isoformat() if moment else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(jalali.format_date, "jdate")
    app.add_template_filter(jalali.format_datetime, "jdatetime")
    app.add_template_filter(jalali.format_long_date, "jlongdate")
    app.add_template_filter(persian_number, "fa")
    app.add_template_filter(persian_phone, "phone")
    app.add_template_filter(masked_phone, "masked_phone")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(outcome_label, "outcome_label")
    app.add_template_filter(duration, "duration")
    app.add_template_filter(menu_label, "menu_label")
    app.add_template_filter(
        lambda reason: CLOSED_REASON_LABELS.get(reason, reason), "closed_reason"
    )
    app.add_template_filter(iso_time, "iso_time")
    app.jinja_env.globals["step_kind_labels"] = STEP_KIND_LABELS
