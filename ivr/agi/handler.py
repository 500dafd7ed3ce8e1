"""Finding the callable that serves AGI calls, named in the settings, and
running it on a channel: the same for the FastAGI server and the script."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable

from callcenter.logs import call_logger
from callcenter.persian import mask_phone
from ivr.agi.channel import Channel
from ivr.agi.errors import AgiError, ChannelHungUp

logger = logging.getLogger(__name__)


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


def serve_channel(channel: Channel, handler: Callable[[Channel], None]) -> bool:
    """Run handler on one AGI session, logging its start and end; False if
    the handler failed (logged with its traceback)."""
    log = call_logger(logger, channel.uniqueid)
    # One call may run several AGI sessions (main, queue_exit, call_ended):
    # these lines are the session's; the call record logs the call's end.
    flow = channel.script or "-"
    log.info("flow %s started, caller %s", flow, mask_phone(channel.caller_id))
    started = time.monotonic()
    try:
        handler(channel)
    except ChannelHungUp as hangup:
        log.info("flow %s ended by hangup (%s)", flow, hangup)
    except Exception:
        log.exception("flow %s failed", flow)
        return False
    else:
        log.info("flow %s done after %.1f s", flow, time.monotonic() - started)
    return True
