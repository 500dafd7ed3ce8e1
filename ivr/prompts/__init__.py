"""The Persian prompt catalogue: prompt names and the text each one says."""

from __future__ import annotations

from pathlib import Path

from callcenter.config import get_settings
from callcenter.persian import normalize_text
from ticketing.datafile import DataFileError, read_yaml, to_python


class PromptCatalogueError(Exception):
    """The prompt catalogue file cannot be used."""


def load_prompt_texts(path: str | Path | None = None) -> dict[str, str]:
    """Prompt name -> Persian text, from the catalogue file in the settings."""
    if path is None:
        settings = get_settings()
        path = settings.path(settings.prompt_text_file)
    path = Path(path)

    try:
        data = to_python(read_yaml(path))
    except DataFileError as error:
        raise PromptCatalogueError(str(error)) from None

    if not isinstance(data, dict):
        raise PromptCatalogueError(f"{path}: expected 'name: text' lines")

    texts = {}
    for name, text in data.items():
        if not isinstance(text, str) or not text.strip():
            raise PromptCatalogueError(f"{path}: prompt {name!r} has no text")
        texts[str(name)] = normalize_text(text)
    return texts
