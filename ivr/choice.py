"""The one place where the IVR waits for a caller's choice.

Every menu asks through ask(): prompts are played with every key as an
escape digit, then the IVR waits for one key. `*` plays the prompts again,
`0` reaches the operator from anywhere, and a timeout or a wrong key earns a
Persian prompt and another try. Speech recognition (roadmap 1) will listen
here too, matching the node's phrases; nothing else needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from callcenter.persian import normalize_digits
from ivr.call import CallContext

REPEAT_KEY = "*"
OPERATOR_KEY = "0"
ALL_KEYS = "0123456789*#"

# A caller who keeps pressing `*` hears the prompt this often; after that a
# `*` counts as a wrong key (ask) or the entry counts as empty (read_digits).
MAX_REPEATS = 5


@dataclass(frozen=True)
class Choice:
    """What the caller chose: a key of the menu, the operator, or nothing
    after the last retry (exhausted)."""

    kind: Literal["key", "operator", "exhausted"]
    key: str = ""
    # For "exhausted": what ended the last try, "timeout" or "invalid".
    reason: str = ""


def ask(
    call: CallContext,
    prompts: list[str],
    valid_keys: str,
    timeout: int | None = None,
    *,
    intro: list[str] | None = None,
    retries: int | None = None,
    invalid_prompt: str = "menu/invalid",
    timeout_prompt: str = "menu/timeout",
) -> Choice:
    """Play prompts and read one key, retrying on timeouts and wrong keys.

    timeout is in seconds; timeout and retries default to the settings.
    `*` repeats without using up a try, MAX_REPEATS times. intro is played
    once, before the prompts of the first try (a greeting).
    """
    timeout = timeout or call.settings.menu_timeout_seconds
    retries = retries or call.settings.menu_retries
    # Every key stops the prompts, not only the valid ones: callers press
    # while the menu plays, and a wrong key must be answered at once, not
    # dropped and later called a timeout.
    escape = ALL_KEYS

    tries = 0
    repeats = 0
    notice = ""
    reason = ""
    while tries < retries:
        if notice:
            call.play(notice)

        key = call.play_all([*(intro or []), *prompts], escape)
        intro = None
        if not key:
            key = call.channel.wait_for_digit(timeout * 1000)

        if not key:
            call.step("timeout", str(timeout))
            notice, reason = timeout_prompt, "timeout"
            tries += 1
            continue

        call.step("key", key)
        if key in valid_keys and key != REPEAT_KEY:
            return Choice("key", key)
        if key == REPEAT_KEY and repeats < MAX_REPEATS:
            repeats += 1
            notice = ""
            continue
        if key == OPERATOR_KEY:
            return Choice("operator", key)

        call.step("invalid", key)
        notice, reason = invalid_prompt, "invalid"
        tries += 1

    # The last try ran out. Not "please choose again": the one who moves the
    # caller on (ivr.navigator.after_last_retry) says what happens next.
    return Choice("exhausted", reason=reason)


def read_digits(call: CallContext, prompt: str, max_digits: int) -> str:
    """Play prompt and read typed digits (ended by `#`, the maximum or the
    timeout); `*` plays the prompt again without using up a try.

    Returns the ASCII digits typed, '' when none came.

    Known shortcoming: GET DATA collects `*` like a digit, so the prompt
    plays again only once the entry ends (`#`, or the timeout); hearing it
    at once would need STREAM FILE and WAIT FOR DIGIT key by key.
    """
    timeout_ms = call.settings.menu_timeout_seconds * 1000
    for _ in range(MAX_REPEATS + 1):
        call.step("prompt", prompt)
        typed = normalize_digits(
            call.channel.get_data(call.sound(prompt), timeout_ms, max_digits)
        )
        if REPEAT_KEY in typed:
            call.step("key", REPEAT_KEY)
            continue
        # normalize_digits made Persian digits ASCII; anything else a
        # keypad cannot send is dropped.
        return "".join(c for c in typed if c.isascii() and c.isdigit())
    return ""
