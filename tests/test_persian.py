"""Masking of phone numbers for INFO logs; digits-only inputs."""

from __future__ import annotations

from callcenter.persian import mask_numbers_in, mask_phone, normalize_phone


def test_a_masked_phone_hides_the_four_digits_a_status_call_asks_for():
    masked = mask_phone("09121234567")

    assert masked == "*********67"
    assert "4567" not in masked


def test_a_missing_or_short_number_is_masked_without_error():
    assert mask_phone(None) == "-"
    assert mask_phone("") == "-"
    assert mask_phone("7") == "7"


def test_long_numbers_inside_text_are_masked_and_the_rest_kept():
    text = mask_numbers_in("Local/09121234567@trunk via PJSIP/101")

    assert text == "Local/*********67@trunk via PJSIP/101"


def test_direction_marks_pasted_from_a_right_to_left_page_are_ignored():
    from ticketing.tracking import normalize_tracking_code

    pasted = "\u200f۰۹۱۲\u200e-۱۲۳-\u2067۴۵۶۷\u2069\ufeff"

    assert normalize_phone(pasted) == "09121234567"
    assert normalize_tracking_code("\u200e202-132-3482\u200f") == "2021323482"
