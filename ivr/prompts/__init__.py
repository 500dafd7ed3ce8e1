"""The Persian prompt catalogue: prompt names and the text each one says."""

from __future__ import annotations

from pathlib import Path

import yaml

from callcenter.config import get_settings
from callcenter.persian import normalize_text
from ticketing.datafile import DataFileError, line_of, read_yaml, text_of


class PromptCatalogueError(Exception):
    """The prompt catalogue file cannot be used."""


def load_prompt_texts(path: str | Path | None = None) -> dict[str, str]:
    """Prompt name -> Persian text, from the catalogue file in the settings."""
    if path is None:
        settings = get_settings()
        path = settings.path(settings.prompt_text_file)
    path = Path(path)

    try:
        root = read_yaml(path)
    except DataFileError as error:
        raise PromptCatalogueError(str(error)) from None

    if not isinstance(root, yaml.MappingNode):
        where = f"{path}:{line_of(root)}" if root is not None else str(path)
        raise PromptCatalogueError(f"{where}: expected 'name: text' lines")

    # Names and texts as written: YAML would read `yes` as True and 8:30 as
    # a number of seconds.
    texts, problems = {}, []
    for name_node, text_node in root.value:
        name, line = str(name_node.value), line_of(name_node)
        text, not_text = text_of(path, name, text_node, line=line)
        if not_text:
            problems.extend(not_text)
        elif text is None or not text.strip():
            problems.append(f"{path}:{line}: prompt {name!r} has no text")
        else:
            texts[name] = normalize_text(text)
    if problems:
        raise PromptCatalogueError("\n".join(problems))
    return texts
