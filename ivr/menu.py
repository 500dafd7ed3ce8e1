"""The menu tree as data: a YAML file validated when the IVR starts.

An admin edits ivr/menus/main.yaml; load_menu() checks it against the schema
below and against the prompt catalogue, and a mistake stops start-up with a
MenuError that names the file, the line and the problem.

Each option carries, beside its key, the phrases a caller may say instead
(per language), for the speech recognition that comes next (roadmap 1).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from callcenter.persian import normalize_digits
from ticketing.datafile import (
    DataFileError,
    duplicate_keys,
    line_of,
    parse_yaml,
    read_text,
    scalar_text,
    to_python,
    twice,
)

logger = logging.getLogger(__name__)

KEYS = frozenset("0123456789*#")

# What an option may do besides going to another node. Each action is a
# flow in ivr/flows/ except repeat (play the node again) and goodbye;
# queue_again (ivr/flows/queue_exit.py) returns to the queue the caller left.
Action = Literal[
    "service_info",
    "consultation",
    "status_lookup",
    "leave_request",
    "operator",
    "callback",
    "queue_again",
    "repeat",
    "goodbye",
]


class MenuError(Exception):
    """The menu file cannot be used; the message names file:line and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One key of a node: go to another node or take an action."""

    goto: str | None = None
    action: Action | None = None
    phrases: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_target(self) -> Option:
        if (self.goto is None) == (self.action is None):
            raise ValueError("an option needs exactly one of 'goto' or 'action'")
        return self


# What may follow the last retry: a flow that moves the caller on, each with
# a prompt menu/next_<action> that says so. Not repeat (that is the retry
# itself) and not the information flows (the caller chose none of them).
AFTER_RETRIES_ACTIONS = (
    "operator",
    "consultation",
    "leave_request",
    "callback",
    "goodbye",
)
AfterRetriesAction = Literal[
    "operator", "consultation", "leave_request", "callback", "goodbye"
]


class AfterRetries(_Strict):
    """Where a caller goes when the last retry ran out, instead of a drop."""

    in_hours: AfterRetriesAction = "operator"
    out_of_hours: AfterRetriesAction = "leave_request"


class Node(_Strict):
    id: str = ""
    intro: list[str] = Field(default_factory=list)
    prompts: list[str] = Field(min_length=1)
    options: dict[str, Option] = Field(min_length=1)
    timeout: int | None = Field(default=None, ge=1, le=60)
    retries: int | None = Field(default=None, ge=1, le=10)
    invalid_prompt: str = "menu/invalid"
    timeout_prompt: str = "menu/timeout"
    after_retries: AfterRetries = Field(default_factory=AfterRetries)

    @field_validator("options", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 1 as a number, and an admin on a Persian
        # keyboard types ۱; a key is a key either way.
        if isinstance(value, dict):
            return {normalize_digits(str(key)): option for key, option in value.items()}
        return value

    @field_validator("timeout", "retries", mode="before")
    @classmethod
    def _ascii_digits(cls, value: Any) -> Any:
        return normalize_digits(value) if isinstance(value, str) else value

    @field_validator("options")
    @classmethod
    def _known_keys(cls, value: dict[str, Option]) -> dict[str, Option]:
        for key in value:
            if key not in KEYS:
                raise ValueError(f"{key!r} is not a telephone key (0-9, * or #)")
        return value

    @property
    def keys(self) -> str:
        return "".join(sorted(self.options))

    def all_prompts(self) -> list[str]:
        return [*self.intro, *self.prompts, self.invalid_prompt, self.timeout_prompt]


class Menu(_Strict):
    start: str = "main"
    nodes: dict[str, Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _name_nodes(self) -> Menu:
        for node_id, node in self.nodes.items():
            if not node.id:
                object.__setattr__(node, "id", node_id)
        return self

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]


# Reading and locating errors -----------------------------------------------


def _line_of(root: yaml.Node | None, location: tuple) -> int | None:
    """The 1-based line of the deepest YAML node the error location reaches."""
    if root is None:
        return None

    current = root
    line = current.start_mark.line + 1
    for part in location:
        found = None
        found_line = None
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if normalize_digits(str(key_node.value)) == str(part):
                    # The key's line: where a reader looks for "nodes.main".
                    found, found_line = value_node, key_node.start_mark.line + 1
                    break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            found = current.value[part]
        if found is None:
            # Parts like a union branch name are pydantic's, not the file's.
            continue
        current = found
        line = found_line or current.start_mark.line + 1
    return line


def _where(path: Path, root: yaml.Node | None, location: tuple) -> str:
    line = _line_of(root, location)
    return f"{path}:{line}" if line else str(path)


def _describe(location: tuple) -> str:
    return ".".join(str(part) for part in location if not _is_pydantic(part))


def _is_pydantic(part: object) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


# A `#` key left bare starts a YAML comment: the option would vanish. Only
# a line at an option key's place counts; other comments may start `#:`.
_BARE_HASH_KEY = re.compile(r"^(\s*)(?:-\s*)?#\s*:")

_DIGITS = re.compile(r"^[0-9]+$")


def _menu_nodes(root: yaml.Node | None) -> list[tuple[str, yaml.MappingNode]]:
    """(node id as written, its mapping) for each node under `nodes:`."""
    if not isinstance(root, yaml.MappingNode):
        return []
    found = []
    for key_node, value_node in root.value:
        if key_node.value == "nodes" and isinstance(value_node, yaml.MappingNode):
            for id_node, node in value_node.value:
                if isinstance(node, yaml.MappingNode):
                    found.append((str(id_node.value), node))
    return found


def _bare_hash_keys(path: Path, text: str, root: yaml.Node | None) -> list[str]:
    """Lines in a node's options, at the options' key indent, where a `#:`
    hides an option. Without a tree (a syntax error) nothing is said."""
    lines = text.splitlines()
    problems = []
    for _, node in _menu_nodes(root):
        keys = node.value
        for index, (key_node, value_node) in enumerate(keys):
            if key_node.value != "options":
                continue
            first = key_node.start_mark.line + 1
            last = (
                keys[index + 1][0].start_mark.line
                if index + 1 < len(keys)
                else node.end_mark.line + 1
            )
            indent, given = None, set()
            if isinstance(value_node, yaml.MappingNode) and value_node.value:
                indent = value_node.value[0][0].start_mark.column
                given = {str(k.value) for k, _ in value_node.value}
            if "#" in given:
                continue
            for number in range(first, min(last, len(lines))):
                match = _BARE_HASH_KEY.match(lines[number])
                if not match:
                    continue
                column = len(match.group(1))
                if column == indent or (
                    indent is None and column > key_node.start_mark.column
                ):
                    problems.append(
                        f"{path}:{number + 1}: a bare # starts a YAML comment, "
                        "so this option is ignored: put the key in quotes, "
                        '"#":'
                    )
    return problems


def _as_written(path: Path, root: yaml.Node | None, data: dict) -> list[str]:
    """Option keys, timeout and retries taken from the file's text, not
    YAML's conversion (00 is 0, 010 is 8, yes is 1 to YAML): each key must
    be one telephone key, digits normalized, and given once; timeout and
    retries are digits. Puts them into data; returns the problems."""
    problems: list[tuple[int, str]] = []
    nodes = data.get("nodes")
    if not isinstance(nodes, dict):
        return []
    by_id = {str(node_id): node for node_id, node in nodes.items()}

    for node_id, node in _menu_nodes(root):
        values = by_id.get(node_id)
        if not isinstance(values, dict):
            continue
        for key_node, value_node in node.value:
            field = key_node.value
            where = f"{path}:{line_of(key_node)}: nodes.{node_id}.{field}"
            if field == "options" and isinstance(value_node, yaml.MappingNode):
                values["options"] = _option_keys(path, node_id, value_node, problems)
            elif field in ("timeout", "retries") and isinstance(
                value_node, yaml.ScalarNode
            ):
                text = scalar_text(value_node)
                if text is None:
                    continue
                digits = normalize_digits(text).strip()
                if not _DIGITS.match(digits):
                    problems.append(
                        (
                            line_of(key_node),
                            f"{where}: a whole number in digits, not {text!r}",
                        )
                    )
                    continue
                values[field] = int(digits)
    return [problem for _, problem in sorted(problems)]


def _option_keys(
    path: Path,
    node_id: str,
    options: yaml.MappingNode,
    problems: list[tuple[int, str]],
) -> dict[str, object]:
    built: dict[str, object] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in options.value:
        written = str(key_node.value)
        key = normalize_digits(written).strip()
        line = line_of(key_node)
        if key not in KEYS:
            problems.append(
                (
                    line,
                    f"{path}:{line}: nodes.{node_id}.options: {written!r} is not "
                    "a telephone key (0-9, * or #)",
                )
            )
        elif key in built:
            # The same text twice is duplicate_keys' to report.
            if written != key or line != first_line[key]:
                problems.append((line, twice(path, written, line, first_line[key])))
        else:
            built[key] = to_python(value_node)
            first_line[key] = line
    return built


def load_menu(path: str | Path, prompt_names: set[str] | None = None) -> Menu:
    """Read, validate and cross-check the menu file.

    prompt_names is the prompt catalogue's names; None reads the catalogue
    named in the settings.
    """
    path = Path(path)
    try:
        text = read_text(path)
        root = parse_yaml(path, text, check_duplicates=False)
    except DataFileError as error:
        raise MenuError("\n".join(error.problems)) from None

    # First: a vanished `#` option explains the errors that follow from it.
    problems = _bare_hash_keys(path, text, root) + duplicate_keys(path, root)
    if problems:
        raise MenuError("\n".join(problems))

    data = to_python(root)
    if not isinstance(data, dict):
        raise MenuError(f"{path}:1: the menu file must be a mapping with 'nodes'")
    problems = _as_written(path, root, data)
    if problems:
        raise MenuError("\n".join(problems))

    try:
        menu = Menu.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = _where(path, root, first["loc"])
        field = _describe(first["loc"]) or "menu"
        raise MenuError(f"{where}: {field}: {first['msg']}") from None

    _check_references(menu, path, root, prompt_names)
    return menu


def _check_references(
    menu: Menu, path: Path, root: yaml.Node | None, prompt_names: set[str] | None
) -> None:
    if menu.start not in menu.nodes:
        where = _where(path, root, ("start",))
        raise MenuError(f"{where}: start: no node named {menu.start!r}")

    for node_id, node in menu.nodes.items():
        for key, option in node.options.items():
            if option.goto is not None and option.goto not in menu.nodes:
                where = _where(path, root, ("nodes", node_id, "options", key))
                raise MenuError(
                    f"{where}: nodes.{node_id}.options.{key}: goto names "
                    f"no node {option.goto!r}"
                )

    if prompt_names is None:
        from ivr.prompts import load_prompt_texts

        prompt_names = set(load_prompt_texts())

    for node_id, node in menu.nodes.items():
        for field in ("intro", "prompts", "invalid_prompt", "timeout_prompt"):
            value = getattr(node, field)
            names = value if isinstance(value, list) else [value]
            for index, name in enumerate(names):
                if name in prompt_names:
                    continue
                location = ("nodes", node_id, field)
                if isinstance(value, list):
                    location += (index,)
                where = _where(path, root, location)
                raise MenuError(
                    f"{where}: nodes.{node_id}.{field}: prompt {name!r} is not "
                    "in the prompt catalogue"
                )


_cache: dict[str, tuple[float, Menu]] = {}


def get_menu(settings) -> Menu:
    """The configured menu, read again when the file changed.

    An admin's edit takes effect without a restart; an edit that breaks the
    file is logged and the last good menu stays in use, so calls go on.
    """
    path = settings.path(settings.menu_file)
    mtime = path.stat().st_mtime
    cached = _cache.get(str(path))
    if cached is not None and cached[0] == mtime:
        return cached[1]

    try:
        menu = load_menu(path)
    except MenuError as error:
        if cached is None:
            raise
        logger.error("menu file changed but is not usable, keeping the last: %s", error)
        _cache[str(path)] = (mtime, cached[1])
        return cached[1]

    _cache[str(path)] = (mtime, menu)
    return menu
