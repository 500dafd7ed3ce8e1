"""Finding the callable that serves AGI calls, named in the settings."""

from __future__ import annotations

import importlib

from ivr.agi.errors import AgiError


def load_handler(spec: str):
    """Import "module:attribute" (settings.agi_handler) and return it.

    Imported when a server or script starts, not at import time, so the
    AGI layer does not depend on the flows package that it serves.
    """
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise AgiError(f"agi_handler must look like module:attribute, not {spec!r}")

    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise AgiError(
            f"agi_handler {spec}: cannot import {module_name}: {error}"
        ) from None

    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise AgiError(f"agi_handler {spec}: {attribute} is not a callable")
    return handler
