"""The main flow: greeting and main menu (agi://host/main)."""

from __future__ import annotations

from ivr.call import CallContext
from ivr.menu import get_menu


def run(call: CallContext) -> str:
    call.ensure_answered()
    return get_menu(call.settings).start
