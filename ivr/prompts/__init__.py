"""The Persian prompt catalogue: prompt names and the text each one says."""

from __future__ import annotations

from pathlib import Path

import yaml

from callcenter.config import get_settings
from callcenter.persian import normalize_text


class PromptCatalogueError(Exception):
    """The prompt catalogue file cannot be used."""


def load_prompt_texts(path: str | Path | None = None) -> dict[str, str]:
    """Prompt name -> Persian text, from the catalogue file in the settings."""
    if path is None:
        settings = get_settings()
        path = settings.path(settings.prompt_text_file)
    path = Path(path)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PromptCatalogueError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else "?"
        raise PromptCatalogueError(f"{path}:{line}: {error.problem}") from None

    if not isinstance(data, dict):
        raise PromptCatalogueError(f"{path}: expected 'name: text' lines")

    texts = {}
    for name, text in data.items():
        if not isinstance(text, str) or not text.strip():
            raise PromptCatalogueError(f"{path}: prompt {name!r} has no text")
        texts[str(name)] = normalize_text(text)
    return texts
