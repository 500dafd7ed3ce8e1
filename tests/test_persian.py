"""Masking of phone numbers for INFO logs."""

from __future__ import annotations

from callcenter.persian import mask_numbers_in, mask_phone


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
