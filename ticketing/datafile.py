"""Reading the YAML files an admin edits, keeping line numbers for errors.

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

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def read_entries(path: str | Path, list_key: str) -> tuple[list[Entry], list[str]]:
    """The entries under `list_key` (or a top-level list) and the problems
    found while reading them; a file that cannot be read at all raises."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError([f"{path}: cannot read: {error.strerror}"]) from None
    except UnicodeDecodeError:
        raise DataFileError([f"{path}: not UTF-8 text"]) from None

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return _entries(path, loader, root, list_key)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise DataFileError([f"{where}: not valid YAML: {error.problem}"]) from None
    except yaml.YAMLError as error:
        raise DataFileError([f"{path}: not valid YAML: {error}"]) from None
    finally:
        loader.dispose()


def _entries(
    path: Path, loader: yaml.SafeLoader, root: yaml.Node | None, list_key: str
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
            raise DataFileError([f"{path}:{_line(root)}: no `{list_key}:` list"])
    if not isinstance(items, yaml.SequenceNode):
        raise DataFileError([f"{path}:{_line(items)}: `{list_key}` must be a list"])

    entries, problems = [], []
    for item in items.value:
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"{path}:{_line(item)}: expected `key: value` lines")
            continue

        entry = Entry(line=_line(item))
        for key_node, value_node in item.value:
            key = str(key_node.value)
            if key in entry.values:
                problems.append(
                    f"{path}:{_line(key_node)}: `{key}` given twice "
                    f"(first on line {entry.lines[key]})"
                )
                continue
            entry.values[key] = loader.construct_object(value_node, deep=True)
            entry.lines[key] = _line(key_node)
        entries.append(entry)
    return entries, problems
