"""The menu file: the shipped one loads, and a bad one names its line."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from callcenter.config import PROJECT_ROOT
from ivr.cli import menu as menu_command
from ivr.menu import MenuError, load_menu
from ivr.prompts import load_prompt_texts

SHIPPED = PROJECT_ROOT / "ivr/menus/main.yaml"
PROMPTS = {"main/greeting", "main/menu", "menu/invalid", "menu/timeout", "x/y"}

GOOD = """\
start: main
nodes:
  main:
    intro: [main/greeting]
    prompts: [main/menu]
    options:
      "1": {action: service_info, phrases: {fa: ["اطلاعات"]}}
      "9": {goto: other}
  other:
    prompts: [x/y]
    options:
      "*": {action: repeat}
"""


def write(tmp_path, text: str):
    path = tmp_path / "menu.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path, text: str) -> str:
    with pytest.raises(MenuError) as caught:
        load_menu(write(tmp_path, text), PROMPTS)
    return str(caught.value)


def test_shipped_menu_loads_against_the_shipped_catalogue():
    menu = load_menu(SHIPPED, set(load_prompt_texts()))

    main = menu.node(menu.start)
    assert main.keys == "*01234"
    assert main.options["2"].action == "consultation"
    assert "اطلاعات خدمات" in main.options["1"].phrases["fa"]
    assert main.after_retries.in_hours == "operator"
    assert main.after_retries.out_of_hours == "leave_request"


def test_good_menu_keeps_numbers_as_keys(tmp_path):
    menu = load_menu(write(tmp_path, GOOD.replace('"9"', "9")), PROMPTS)
    assert menu.node("main").options["9"].goto == "other"


def test_unknown_action_names_its_line(tmp_path):
    message = error_of(tmp_path, GOOD.replace("action: service_info", "action: fly"))
    assert ":7:" in message
    assert "nodes.main.options.1.action" in message


def test_missing_prompts_names_the_node_line(tmp_path):
    text = GOOD.replace("    prompts: [x/y]\n", "")
    message = error_of(tmp_path, text)
    assert ":9:" in message
    assert "nodes.other.prompts" in message
    assert "Field required" in message


def test_goto_to_a_missing_node_names_the_option_line(tmp_path):
    message = error_of(tmp_path, GOOD.replace("goto: other", "goto: nowhere"))
    assert ":8:" in message
    assert "'nowhere'" in message


def test_prompt_not_in_catalogue_names_its_line(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[x/y]", "[x/y, no/such]"))
    assert ":10:" in message
    assert "'no/such'" in message


def test_a_key_that_is_no_telephone_key(tmp_path):
    message = error_of(tmp_path, GOOD.replace('"9"', '"A"'))
    assert "not a telephone key" in message
    assert ":8:" in message


def test_option_with_both_goto_and_action(tmp_path):
    text = GOOD.replace("{goto: other}", "{goto: other, action: operator}")
    message = error_of(tmp_path, text)
    assert ":8:" in message
    assert "exactly one" in message


def test_yaml_syntax_error_names_its_line(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[main/menu]", "[main/menu"))
    # Where the list opened first, then where the parser gave up.
    assert "menu.yaml:5: not valid YAML: while parsing a flow sequence" in message
    assert "on line 6" in message


def test_an_unclosed_quote_names_the_line_it_opened_on(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[x/y]", "'x/y"))

    opened = "menu.yaml:10: not valid YAML: while scanning a quoted scalar on line 10"
    assert opened in message
    assert "end of stream on line 13" in message


def test_persian_digits_are_keys_and_numbers(tmp_path):
    text = GOOD.replace('"1":', '"۱":').replace(
        "    prompts: [main/menu]\n",
        "    prompts: [main/menu]\n    timeout: ۸\n    retries: ٣\n",
    )

    main = load_menu(write(tmp_path, text), PROMPTS).node("main")

    assert main.keys == "19"
    assert (main.timeout, main.retries) == (8, 3)


def test_a_persian_and_an_ascii_digit_are_one_key(tmp_path):
    text = GOOD.replace('      "9"', '      ۹: {action: operator}\n      "9"')

    assert "menu.yaml:9: `9` is given twice (first on line 8)" in error_of(
        tmp_path, text
    )


def test_an_error_under_a_persian_digit_key_names_its_line(tmp_path):
    text = GOOD.replace('"1": {action: service_info', '"۱": {action: fly')

    assert "menu.yaml:7: nodes.main.options.1.action" in error_of(tmp_path, text)


def test_bare_star_and_hash_keys_say_to_quote_them(tmp_path):
    star = error_of(tmp_path, GOOD.replace('"*":', "*:"))
    hashed = error_of(tmp_path, GOOD.replace('"*":', "#:"))

    assert "menu.yaml:12: not valid YAML: while scanning an alias" in star
    assert 'put the key or value in quotes, e.g. "*":' in star
    assert (
        "menu.yaml:12: a bare # starts a YAML comment, so this option is ignored: "
        'put the key in quotes, "#":'
    ) in hashed


def test_unknown_field_is_an_error(tmp_path):
    message = error_of(tmp_path, GOOD.replace("    intro:", "    intor:"))
    assert ":4:" in message
    assert "intor" in message


def test_menu_check_command(tmp_path):
    runner = CliRunner()

    good = runner.invoke(menu_command, ["check"])
    assert good.exit_code == 0, good.output
    assert good.output.startswith("OK ")

    bad = write(tmp_path, GOOD.replace("goto: other", "goto: nowhere"))
    failed = runner.invoke(menu_command, ["check", str(bad)])
    assert failed.exit_code == 1
    assert "menu.yaml:8" in failed.output


def test_agi_serve_stops_at_start_up_on_a_bad_menu(settings, tmp_path):
    from dataclasses import replace

    from callcenter.config import use_settings
    from ivr.agi.cli import agi

    bad = write(tmp_path, GOOD.replace("action: service_info", "action: fly"))
    use_settings(replace(settings, menu_file=str(bad), agi_port=0))

    result = CliRunner().invoke(agi, ["serve"])

    assert result.exit_code == 1
    assert f"{bad}:7" in result.output


def test_a_broken_edit_keeps_the_last_good_menu(settings, tmp_path, caplog):
    import os
    from dataclasses import replace

    from ivr.menu import get_menu

    path = tmp_path / "main.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    current = replace(settings, menu_file=str(path))
    first = get_menu(current)

    path.write_text("nodes: [", encoding="utf-8")
    os.utime(path, (1, 1))

    assert get_menu(current) is first
    assert "not usable" in caplog.text


def test_after_retries_allows_only_what_can_follow_the_last_retry(tmp_path):
    text = GOOD.replace(
        '      "9": {goto: other}\n',
        '      "9": {goto: other}\n'
        "    after_retries:\n"
        "      in_hours: operator\n"
        "      out_of_hours: repeat\n",
    )

    error = error_of(tmp_path, text)

    assert "menu.yaml:11" in error
    assert "after_retries.out_of_hours" in error


@pytest.mark.parametrize(
    "action", ["operator", "consultation", "leave_request", "callback", "goodbye"]
)
def test_after_retries_actions_that_can_run(tmp_path, action):
    text = GOOD.replace(
        '      "9": {goto: other}\n',
        f'      "9": {{goto: other}}\n    after_retries: {{in_hours: {action}}}\n',
    )

    menu = load_menu(write(tmp_path, text), PROMPTS)

    assert menu.node("main").after_retries.in_hours == action


def test_a_key_given_twice_in_a_node_names_both_lines(tmp_path):
    text = GOOD.replace(
        '      "9": {goto: other}\n',
        '      "9": {goto: other}\n      9: {action: operator}\n',
    )

    error = error_of(tmp_path, text)

    assert "menu.yaml:9" in error
    assert "`9` is given twice (first on line 8)" in error


def test_a_node_given_twice_is_an_error(tmp_path):
    text = GOOD + "  other:\n    prompts: [x/y]\n    options: {'1': {action: repeat}}\n"

    assert "menu.yaml:13: `other` is given twice (first on line 9)" in error_of(
        tmp_path, text
    )


def test_every_after_retries_action_has_a_next_prompt():
    from ivr.menu import AFTER_RETRIES_ACTIONS

    names = set(load_prompt_texts())

    assert {f"menu/next_{action}" for action in AFTER_RETRIES_ACTIONS} <= names
    assert {"menu/next_closed", "menu/last_timeout", "menu/last_invalid"} <= names


@pytest.mark.parametrize(("written", "line"), [("00", 9), ("010", 9), ("01", 9)])
def test_a_key_is_read_as_written_not_as_a_yaml_number(tmp_path, written, line):
    text = GOOD.replace(
        '      "9": {goto: other}\n',
        f'      "9": {{goto: other}}\n      {written}: {{action: goodbye}}\n',
    )

    message = error_of(tmp_path, text)

    assert (
        f"menu.yaml:{line}: nodes.main.options: '{written}' is not a telephone "
        "key (0-9, * or #)"
    ) in message


def test_an_unquoted_and_a_quoted_zero_are_one_key(tmp_path):
    text = GOOD.replace(
        '      "9": {goto: other}\n',
        '      "9": {goto: other}\n      0: {action: goodbye}\n'
        '      "۰": {action: operator}\n',
    )

    assert "menu.yaml:10: `۰` is given twice (first on line 9)" in error_of(
        tmp_path, text
    )


@pytest.mark.parametrize(
    ("field", "written"),
    [("timeout", "010"), ("timeout", "yes"), ("retries", "on"), ("timeout", "8.5")],
)
def test_timeout_and_retries_are_digits_as_written(tmp_path, field, written):
    text = GOOD.replace(
        "    prompts: [main/menu]\n",
        f"    prompts: [main/menu]\n    {field}: {written}\n",
    )

    if written == "010":
        assert load_menu(write(tmp_path, text), PROMPTS).node("main").timeout == 10
        return
    assert (
        f"menu.yaml:6: nodes.main.{field}: a whole number in digits, not '{written}'"
    ) in error_of(tmp_path, text)


def test_a_comment_starting_with_hash_colon_is_no_vanished_key(tmp_path):
    text = "#: the menu of the office\n" + GOOD.replace(
        "nodes:\n", "nodes:\n  # : nodes follow\n"
    ).replace("    prompts: [x/y]\n", "    prompts: [x/y]\n    #: options below\n")

    menu = load_menu(write(tmp_path, text), PROMPTS)

    assert menu.node("other").keys == "*"


def test_a_bare_hash_among_options_is_found_in_block_style(tmp_path):
    text = GOOD.replace(
        '      "*": {action: repeat}\n',
        '      "*":\n        action: repeat\n      #:\n        action: operator\n',
    )

    message = error_of(tmp_path, text)

    assert message.startswith(
        f"{tmp_path / 'menu.yaml'}:14: a bare # starts a YAML comment"
    )
    assert "`action` is given twice" in message
