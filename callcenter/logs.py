"""Logging set-up, and the adapter that stamps a call's uniqueid on its lines."""

from __future__ import annotations

import logging


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


class CallLogAdapter(logging.LoggerAdapter):
    """Prefixes every message with the call's Asterisk uniqueid."""

    def process(self, msg, kwargs):
        return f"call {self.extra['uniqueid']}: {msg}", kwargs


def call_logger(logger: logging.Logger, uniqueid: str) -> CallLogAdapter:
    return CallLogAdapter(logger, {"uniqueid": uniqueid or "-"})
