"""The shared YAML reader of the admin's data files: keys given twice at any
level, syntax errors with both of their lines, values as written."""

from __future__ import annotations

import pytest

from ticketing.datafile import DataFileError, read_entries, read_yaml, text_of


def _problems(tmp_path, text: str) -> str:
    path = tmp_path / "data.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        read_yaml(path)
    return str(caught.value)


def test_a_key_given_twice_at_any_level_names_both_lines(tmp_path):
    message = _problems(
        tmp_path,
        "items:\n"
        "  - a: 1\n"
        "    b:\n"
        "      c: 1\n"
        "      c: 2\n"
        "other: x\n"
        "items:\n"
        "  - a: 2\n",
    )

    assert "data.yaml:5: `c` is given twice (first on line 4)" in message
    assert "data.yaml:7: `items` is given twice (first on line 1)" in message
    # In file order, so an admin can work from the top.
    assert message.index("data.yaml:5:") < message.index("data.yaml:7:")


def test_keys_are_compared_as_written(tmp_path):
    # Only the menu's telephone keys are one key in any digits (ivr/menu.py).
    path = tmp_path / "data.yaml"
    path.write_text("a/1: x\na/۱: y\na/١: z\n", encoding="utf-8")

    assert len(read_yaml(path).value) == 3
    assert "data.yaml:2: `1` is given twice (first on line 1)" in _problems(
        tmp_path, '1: a\n"1": b\n'
    )


def test_an_alias_inside_its_own_anchor_is_refused_at_its_line(tmp_path):
    message = _problems(
        tmp_path,
        "holidays:\n  - &a\n    date: 1405/01/24\n    name: x\n    lunar: [*a]\n",
    )

    assert message == (
        f"{tmp_path / 'data.yaml'}:5: `*a` is used inside `&a` itself, so it "
        "would never end: write the value out"
    )


def test_many_aliases_are_walked_once_each(tmp_path):
    # Each list holds its neighbour three times: 3**60 paths, 61 nodes.
    lines = ["a0: &a0 {k: x}"]
    lines += [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 61)]
    lines.append("a0: again")
    message = _problems(tmp_path, "\n".join(lines) + "\n")

    assert "data.yaml:62: `a0` is given twice (first on line 1)" in message


def test_an_unclosed_quote_names_where_it_opened_first(tmp_path):
    lines = [f"k{number}: v" for number in range(1, 41)]
    lines[31] = 'k32: "not closed'

    message = _problems(tmp_path, "\n".join(lines) + "\n")

    assert message.startswith(f"{tmp_path / 'data.yaml'}:32: not valid YAML: ")
    assert "quoted scalar on line 32" in message
    assert "end of stream on line 41" in message
    assert "not closed" in message


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("options:\n  *: repeat\n", 2, '"*":'),
        ("options:\n  &: x\n", 2, '"&":'),
        ("list:\n  - a: b: c\n", 2, "in quotes"),
        ("a:\n\t- b\n", 2, "not tabs"),
    ],
)
def test_common_syntax_slips_get_a_hint(tmp_path, text, line, hint):
    message = _problems(tmp_path, text)

    assert f"data.yaml:{line}: not valid YAML: " in message
    assert hint in message


def test_text_is_taken_as_written(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text(
        "entries:\n"
        "  - hours: 7:30\n"
        "    answer: yes\n"
        "    empty:\n"
        "    quoted: ''\n"
        "    list: [1.10, no, '']\n",
        encoding="utf-8",
    )
    [entry], problems = read_entries(path, "entries")

    def text(key, **options):
        return text_of(path, key, entry.nodes[key], **options)

    assert problems == []
    assert text("hours") == ("7:30", [])
    assert text("answer") == ("yes", [])
    assert text("empty") == (None, [])
    assert text("quoted") == ("", [])
    items, found = text("list", list_allowed=True)
    assert items == ["1.10", "no"]
    assert found == [f"{path}:6: an item of `list` is empty"]
    assert text("list")[1] == [f"{path}:6: `list` must be text"]
