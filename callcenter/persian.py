"""One normalizer for everything a person types, says or is shown.

Citizens and agents type with Persian, Arabic and Latin keyboard layouts, so
the same word or number arrives in several spellings. Every input goes
through normalize_text (free text) or normalize_digits / normalize_phone
(numbers) before it is stored, compared or searched.
"""

from __future__ import annotations

import re

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ZWNJ = "\u200c"

_TO_ASCII_DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", PERSIAN_DIGITS)

# Arabic letters that Persian writes differently, and marks that only vary
# the spelling (tatweel, harakat) and should not stop a search from matching.
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        "ـ": None,
        "\u064b": None,
        "\u064c": None,
        "\u064d": None,
        "\u064e": None,
        "\u064f": None,
        "\u0650": None,
        "\u0651": None,
        "\u0652": None,
    }
)

# Other invisible joiners and marks that stand where a ZWNJ is meant.
_ZWNJ_LIKE = re.compile("[\u200b\u200d\u200e\u200f\u00ad\ufeff]")
_ZWNJ_RUNS = re.compile(ZWNJ + "{2,}")
_ZWNJ_AT_SPACE = re.compile(rf"\s*{ZWNJ}\s*(?=\s)|(?<=\s){ZWNJ}")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")


def normalize_digits(text: str) -> str:
    """Persian and Arabic-Indic digits to ASCII digits; nothing else."""
    return text.translate(_TO_ASCII_DIGITS)


def to_persian_digits(value: object) -> str:
    """ASCII digits to Persian digits, for anything shown to a person."""
    return str(value).translate(_TO_PERSIAN_DIGITS)


def normalize_text(text: str | None) -> str:
    """Canonical Persian spelling of free text for storage and search.

    Arabic ye/kaf become Persian ones, stray joiners become one ZWNJ (and
    none next to a space), digits become ASCII and runs of spaces collapse.
    """
    if not text:
        return ""
    text = text.translate(_LETTERS)
    text = normalize_digits(text)
    text = _ZWNJ_LIKE.sub(ZWNJ, text)
    text = _ZWNJ_RUNS.sub(ZWNJ, text)
    text = _ZWNJ_AT_SPACE.sub("", text)
    text = _SPACES.sub(" ", text)
    return text.strip().strip(ZWNJ)


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number this product can call back. reason
    says why, for a form to explain it: "empty", "characters" (something
    besides digits and separators), "plus" (a + not at the start),
    "too_short" or "too_long" (fewer than 4 or more than 15 digits)."""

    def __init__(self, message: str, reason: str = "characters"):
        super().__init__(message)
        self.reason = reason


# Marks that text copied from a right-to-left page carries unseen: joiners,
# direction marks and embeddings, the byte-order mark, a soft hyphen.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")


def strip_invisible(text: str) -> str:
    """text without invisible marks, for inputs that are only digits
    (phone numbers, tracking codes): a pasted code keeps no LRM or RLM."""
    return _INVISIBLE.sub("", text)


def normalize_phone(text: str | None) -> str:
    """A phone number in the national form, e.g. 09120000000.

    Accepts Persian or Arabic-Indic digits, spaces, dashes, parentheses and
    the forms +98..., 0098... and 98... (mobile without the leading zero).
    Raises InvalidPhoneNumber for anything else, so callers can show why.
    """
    if not text or not text.strip():
        raise InvalidPhoneNumber("no phone number", "empty")

    digits = normalize_digits(strip_invisible(text).strip())
    digits = re.sub(r"[\s\-().]", "", digits)
    if digits.startswith("+"):
        digits = "00" + digits[1:]
    if not digits.isascii() or not digits.isdigit():
        reason = "plus" if digits.replace("+", "").isdigit() else "characters"
        raise InvalidPhoneNumber(f"not a phone number: {text!r}", reason)

    if digits.startswith("0098"):
        digits = "0" + digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif digits.startswith("9") and len(digits) == 10:
        digits = "0" + digits

    if len(digits) < 4:
        raise InvalidPhoneNumber(f"too short for a phone number: {text!r}", "too_short")
    if len(digits) > 15:
        raise InvalidPhoneNumber(f"too long for a phone number: {text!r}", "too_long")
    return digits


def phone_or_none(text: str | None) -> str | None:
    """normalize_phone for caller ids, which may be empty or 'anonymous'."""
    try:
        return normalize_phone(text)
    except InvalidPhoneNumber:
        return None


# The last four digits of the filing phone are what a status call from
# another phone must type, so logs keep fewer than that.
MASK_KEEPS_DIGITS = 2


def mask_phone(phone: str | None) -> str:
    """A phone number fit for INFO logs: only its last two digits."""
    if not phone:
        return "-"
    kept = MASK_KEEPS_DIGITS
    return "*" * max(len(phone) - kept, 0) + phone[-kept:]


# Seven digits or more may be a phone number (or a national id).
_LONG_NUMBER = re.compile(r"\d{7,}")


def mask_numbers_in(text: str | None) -> str:
    """Text from the phone system (a queue member such as
    Local/09121234567@trunk) fit for INFO logs: every long number masked
    like mask_phone."""
    return _LONG_NUMBER.sub(lambda found: mask_phone(found.group()), text or "")
