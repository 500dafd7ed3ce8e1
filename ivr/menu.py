"""The menu tree as data: a YAML file validated when the IVR starts.

An admin edits ivr/menus/main.yaml; load_menu() checks it against the schema
below and against the prompt catalogue, and a mistake stops start-up with a
MenuError that names the file, the line and the problem.

Each option carries, beside its key, the phrases a caller may say instead
(per language), for the speech recognition that comes next (roadmap 1).
"""

from __future__ import annotations

import logging
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
        # YAML reads an unquoted 1 as a number; a key is a key either way.
        if isinstance(value, dict):
            return {str(key): option for key, option in value.items()}
        return value

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
                if str(key_node.value) == str(part):
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


def _first_duplicate_key(root: yaml.Node | None) -> tuple[str, int, int] | None:
    """A key given twice in one mapping anywhere: (key, line, first line)."""
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop(0)
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                # "3" and 3 are one telephone key.
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    return key, line, seen[key]
                seen[key] = line
                pending.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return None


def load_menu(path: str | Path, prompt_names: set[str] | None = None) -> Menu:
    """Read, validate and cross-check the menu file.

    prompt_names is the prompt catalogue's names; None reads the catalogue
    named in the settings.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MenuError(f"{path}: cannot read: {error.strerror}") from None

    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise MenuError(f"{path}{line}: not valid YAML: {error.problem}") from None

    if not isinstance(data, dict):
        raise MenuError(f"{path}:1: the menu file must be a mapping with 'nodes'")

    duplicate = _first_duplicate_key(root)
    if duplicate is not None:
        key, line, first_line = duplicate
        raise MenuError(
            f"{path}:{line}: key {key!r} is given twice (first on line "
            f"{first_line}); YAML would keep only the last"
        )

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
