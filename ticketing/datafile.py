"""Reading the YAML files an admin edits, keeping line numbers for errors.

Every data file (the catalogue, the holiday list, the IVR menu, the prompt
catalogue) is parsed by read_yaml here, so they share what YAML alone would
not tell an admin: a key given twice at any level (YAML keeps the last one
silently), and a syntax error with both the line where the broken part
starts and the line where the parser gave up. An alias (*a) inside the
part its own anchor (&a) marks is refused: the tree would be a loop, and a
file re-read by a running IVR must not send a reader round in circles.
Other aliases are kept (the shipped menu shares one options list); they
share nodes, so every walk of the tree must visit a node once.

The catalogue and the holiday list are lists of entries (mappings). A
mistake must be reported as `file:line: problem`, so an admin can fix it
without reading Python; PyYAML's node tree still knows where each value was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


class DataFileError(ValueError):
    """A data file with problems; str() lists every one as file:line: text."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Entry:
    """One mapping of the list, with the line of each of its keys (1-based)."""

    line: int
    values: dict[str, object] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, yaml.Node] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


def line_of(node: yaml.Node | yaml.Event) -> int:
    return node.start_mark.line + 1


# Parsing -----------------------------------------------------------------------


def read_yaml(path: str | Path) -> yaml.Node | None:
    """The file's node tree (None for an empty file); DataFileError when it
    cannot be read, is not YAML, has an alias inside its own anchor or gives
    a key twice in one mapping."""
    path = Path(path)
    return parse_yaml(path, read_text(path))


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError([f"{path}: cannot read: {error.strerror}"]) from None
    except UnicodeDecodeError:
        raise DataFileError([f"{path}: not UTF-8 text"]) from None


def parse_yaml(
    path: Path, text: str, *, check_duplicates: bool = True
) -> yaml.Node | None:
    """read_yaml on text already read; without check_duplicates the caller
    runs duplicate_keys itself (the menu, to say more first)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise DataFileError([_syntax_problem(path, error)]) from None
    except yaml.YAMLError as error:
        raise DataFileError([f"{path}: not valid YAML: {error}"]) from None
    finally:
        loader.dispose()

    # Before any walk of the tree: an alias can make it a loop.
    loops = _alias_loops(path, text)
    if loops:
        raise DataFileError(loops)

    duplicates = duplicate_keys(path, root) if check_duplicates else []
    if duplicates:
        raise DataFileError(duplicates)
    return root


def _alias_loops(path: Path, text: str) -> list[str]:
    """Each alias used inside the part its own anchor marks, at its line.
    Read from the parser's events, where the alias is still an alias."""
    problems, open_anchors = [], []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            problems.append(
                f"{path}:{line_of(event)}: `*{event.anchor}` is used inside "
                f"`&{event.anchor}` itself, so it would never end: write the "
                "value out"
            )
    return problems


def to_python(node: yaml.Node | None) -> object:
    """The plain Python value of a node tree from read_yaml."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


# What an admin most likely did, by the words PyYAML uses for the error.
_HINTS = (
    (
        "alias",
        'a bare * starts a YAML alias: put the key or value in quotes, e.g. "*":',
    ),
    (
        "anchor",
        'a bare & starts a YAML anchor: put the key or value in quotes, e.g. "&":',
    ),
    ("quoted scalar", "a quote opened there is not closed"),
    (
        "mapping values are not allowed",
        'a value holds ": ": put the whole value in quotes',
    ),
    ("'\\t'", "indent with spaces, not tabs"),
)


def _syntax_problem(path: Path, error: yaml.MarkedYAMLError) -> str:
    """One line: where the broken part starts (the context), then where the
    parser gave up, which for an unclosed quote can be the end of the file."""
    context, problem = error.context or "", error.problem or "syntax error"
    start, end = error.context_mark, error.problem_mark
    if start is None or end is None or start.line == end.line:
        mark = start or end
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        text = f"{context}, {problem}" if context else problem
    else:
        where = f"{path}:{start.line + 1}"
        text = f"{context} on line {start.line + 1}, {problem} on line {end.line + 1}"

    said = f"{context} {problem}"
    for words, hint in _HINTS:
        if words in said:
            text += f" ({hint})"
            break
    return f"{where}: not valid YAML: {text}"


def duplicate_keys(path: Path, root: yaml.Node | None) -> list[str]:
    """Every key given twice in one mapping, anywhere in the tree.

    Keys are compared as written: `1` and "1" are one key, `۱` is another
    (the menu compares its telephone keys with digits normalized itself).
    """
    found: list[tuple[int, str]] = []
    pending = [root] if root is not None else []
    # read_yaml refuses aliases; this only keeps a shared node from being
    # walked twice should a tree come from elsewhere.
    walked: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = line_of(key_node)
                if key in seen:
                    found.append((line, twice(path, key, line, seen[key])))
                else:
                    seen[key] = line
                pending.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return [problem for _, problem in sorted(found)]


def twice(path: Path, key: str, line: int, first: int) -> str:
    return (
        f"{path}:{line}: `{key}` is given twice (first on line {first}); "
        "YAML would keep only the last"
    )


# Text fields --------------------------------------------------------------------


def scalar_text(node: yaml.ScalarNode) -> str | None:
    """A value as the admin wrote it; None when left empty.

    Taken from the node, not from YAML's conversion, so that `7:30` stays
    7:30 (YAML 1.1 reads it as 450) and `yes` stays yes (not True).
    """
    if node.tag == "tag:yaml.org,2002:null" and node.style is None:
        return None
    return str(node.value)


def text_of(
    path: Path,
    key: str,
    node: yaml.Node,
    *,
    list_allowed: bool = False,
    line: int | None = None,
) -> tuple[str | list[str] | None, list[str]]:
    """A text field: its text (a list of texts where list_allowed) and the
    problems, each at the line of the item that is not text, or at `line`
    (the key's; default the value's) for the field."""
    if isinstance(node, yaml.ScalarNode):
        return scalar_text(node), []
    if not (list_allowed and isinstance(node, yaml.SequenceNode)):
        hint = _quote_hint(node)
        where = f"{path}:{line or line_of(node)}"
        return None, [f"{where}: `{key}` must be text{hint}"]

    items, problems = [], []
    for item in node.value:
        where = f"{path}:{line_of(item)}: an item of `{key}`"
        if not isinstance(item, yaml.ScalarNode):
            problems.append(f"{where} must be text{_quote_hint(item)}")
            continue
        text = scalar_text(item)
        if text is None or not text.strip():
            problems.append(f"{where} is empty")
            continue
        items.append(text)
    return items, problems


def _quote_hint(node: yaml.Node) -> str:
    """For a `key: value` where text was meant: the item quoted, to copy."""
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return ""
    key_node, value_node = node.value[0]
    if not all(isinstance(n, yaml.ScalarNode) for n in (key_node, value_node)):
        return ""
    quoted = f"{key_node.value}: {value_node.value}".replace('"', '\\"')
    return f' (": " makes it `key: value`; put it in quotes: "{quoted}")'


# Lists of entries ---------------------------------------------------------------


def read_entries(path: str | Path, list_key: str) -> tuple[list[Entry], list[str]]:
    """The entries under `list_key` (or a top-level list) and the problems
    found while reading them; a file that cannot be read at all raises."""
    path = Path(path)
    root = read_yaml(path)
    return _entries(path, root, list_key)


def _entries(
    path: Path, root: yaml.Node | None, list_key: str
) -> tuple[list[Entry], list[str]]:
    if root is None:
        raise DataFileError([f"{path}: the file is empty"])

    items = root
    if isinstance(root, yaml.MappingNode):
        items = None
        for key_node, value_node in root.value:
            if key_node.value == list_key:
                items = value_node
        if items is None:
            raise DataFileError([f"{path}:{line_of(root)}: no `{list_key}:` list"])
    if not isinstance(items, yaml.SequenceNode):
        raise DataFileError([f"{path}:{line_of(items)}: `{list_key}` must be a list"])

    entries, problems = [], []
    for item in items.value:
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"{path}:{line_of(item)}: expected `key: value` lines")
            continue

        # read_yaml has refused keys given twice, so each key is new here.
        entry = Entry(line=line_of(item))
        for key_node, value_node in item.value:
            key = str(key_node.value)
            entry.values[key] = to_python(value_node)
            entry.lines[key] = line_of(key_node)
            entry.nodes[key] = value_node
        entries.append(entry)
    return entries, problems
