"""Tracking codes: length, check digit, randomness, Persian input."""

from __future__ import annotations

from ticketing.tracking import (
    damm_digit,
    is_valid_tracking_code,
    new_tracking_code,
    normalize_tracking_code,
)


def test_damm_digit_of_known_values():
    # Worked examples of the Damm algorithm.
    assert damm_digit("572") == "4"
    assert damm_digit("") == "0"
    assert is_valid_tracking_code("5724") is False  # right check, wrong length


def test_new_codes_are_ten_digits_and_valid():
    codes = [new_tracking_code() for _ in range(500)]

    for code in codes:
        assert len(code) == 10
        assert code.isascii() and code.isdigit()
        assert code[0] != "0"
        assert is_valid_tracking_code(code)
    assert len(set(codes)) == len(codes)


def test_codes_are_not_in_sequence():
    first, second = new_tracking_code(), new_tracking_code()

    assert abs(int(first[:9]) - int(second[:9])) != 1


def test_every_single_wrong_digit_is_caught():
    code = new_tracking_code()

    for position in range(10):
        for digit in "0123456789":
            if digit == code[position]:
                continue
            typo = code[:position] + digit + code[position + 1 :]
            assert not is_valid_tracking_code(typo), typo


def test_every_swap_of_neighbours_is_caught():
    code = new_tracking_code()

    for position in range(9):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        assert not is_valid_tracking_code(swapped), swapped


def test_persian_and_arabic_digits_and_separators():
    code = new_tracking_code()
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    spaced = f"{code[:3]} {code[3:6]}-{code[6:]}#"

    for typed in (persian, arabic, spaced):
        assert normalize_tracking_code(typed) == code
        assert is_valid_tracking_code(typed)


def test_invalid_shapes():
    code = new_tracking_code()

    assert not is_valid_tracking_code(None)
    assert not is_valid_tracking_code("")
    assert not is_valid_tracking_code(code[:9])
    assert not is_valid_tracking_code(code + "0")
    assert not is_valid_tracking_code("abcdefghij")
    body = "0" + code[1:9]
    assert not is_valid_tracking_code(body + damm_digit(body))
