"""Tracking codes: what a caller types to hear the status of a request.

A code is 10 ASCII digits: 9 drawn from `secrets` (the first never zero, so
the code keeps its length when spoken or typed as a number) and a Damm check
digit. The check digit catches every single wrong digit and every swap of two
neighbouring digits, the two mistakes people make on a keypad; random digits
keep codes from being guessed in sequence.
"""

from __future__ import annotations

import re
import secrets

from callcenter.persian import normalize_digits, strip_invisible

CODE_LENGTH = 10

# A totally anti-symmetric quasigroup of order 10 (Damm, 2004): row is the
# interim digit, column the next digit of the code.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# What people put between digits when they write a code down or paste it.
_SEPARATORS = re.compile(r"[\s\-_.#*/\u200c]")


def damm_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


def new_tracking_code() -> str:
    """A fresh random code; uniqueness is the database's job (see service)."""
    body = str(secrets.randbelow(9) + 1)
    body += "".join(str(secrets.randbelow(10)) for _ in range(CODE_LENGTH - 2))
    return body + damm_digit(body)


def normalize_tracking_code(text: str | None) -> str:
    """ASCII digits with separators removed; no check of the code itself."""
    if not text:
        return ""
    return _SEPARATORS.sub("", normalize_digits(strip_invisible(text)))


def is_valid_tracking_code(text: str | None) -> bool:
    """True for 10 digits, first not zero, whose Damm check passes."""
    code = normalize_tracking_code(text)
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        return False
    if code[0] == "0":
        return False
    return damm_digit(code) == "0"
