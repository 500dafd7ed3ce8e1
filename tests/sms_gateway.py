"""SMS gateways for tests only, named in settings.sms_gateway as
"tests.sms_gateway:recording", "tests.sms_gateway:failing" or
"tests.sms_gateway:flaky".

rq runs each job in a forked work horse, so what a gateway saw is written
to a JSON-lines file in the test's data_dir, where the test reads it back.
"""

from __future__ import annotations

import json
from pathlib import Path

from callcenter.config import Settings
from ticketing.notifications import GatewayError

OUTBOX = "sms-outbox.jsonl"
ATTEMPTS = "sms-attempts.jsonl"


def _append(path: Path, phone: str, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"phone": phone, "text": text}, ensure_ascii=False))
        out.write("\n")


def read(settings: Settings, name: str = OUTBOX) -> list[dict]:
    path = settings.data_path / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


class RecordingGateway:
    """Accepts every message and writes it to the outbox."""

    def __init__(self, settings: Settings):
        self.outbox = settings.data_path / OUTBOX

    def send(self, phone: str, text: str) -> None:
        _append(self.outbox, phone, text)


class FailingGateway:
    """Refuses every message, noting each attempt."""

    def __init__(self, settings: Settings):
        self.attempts = settings.data_path / ATTEMPTS

    def send(self, phone: str, text: str) -> None:
        _append(self.attempts, phone, text)
        raise GatewayError("gateway answered 503")


class FlakyGateway(RecordingGateway):
    """Refuses the first message it is given (an outage), then accepts."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.attempts = settings.data_path / ATTEMPTS

    def send(self, phone: str, text: str) -> None:
        refuse = not self.attempts.exists()
        _append(self.attempts, phone, text)
        if refuse:
            raise GatewayError("gateway answered 503")
        super().send(phone, text)


def recording(settings: Settings) -> RecordingGateway:
    return RecordingGateway(settings)


def failing(settings: Settings) -> FailingGateway:
    return FailingGateway(settings)


def flaky(settings: Settings) -> FlakyGateway:
    return FlakyGateway(settings)


def unconfigured(settings: Settings):
    raise ValueError("CALLCENTER_SMS_API_KEY is not set")
