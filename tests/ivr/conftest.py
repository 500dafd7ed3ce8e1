"""The IVR under test: a FastAGI server in a thread on a free port, serving
ivr.flows.dispatch, with the AGI simulator on the other side of the socket
(byte for byte as Asterisk), on the test PostgreSQL schema and Redis db."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import wave
from dataclasses import dataclass

import pytest

import ivr.call
from callcenter.config import use_settings
from ivr.agi.fastagi import FastAgiServer
from ivr.flows import dispatch
from ivr.simulator import SimulatedCall, simulate_call
from ticketing.calls import get_call
from ticketing.catalogue import load_catalogue
from ticketing.db import session_scope
from ticketing.models import Call, Ticket

# Saturday 1405/09/14, 10:00 in Tehran: a working day, in business hours.
OPEN = dt.datetime(2026, 12, 5, 6, 30, tzinfo=dt.UTC)
# The same Saturday at 20:00 in Tehran.
AFTER_HOURS = dt.datetime(2026, 12, 5, 16, 30, tzinfo=dt.UTC)
# Friday 1405/09/13, 10:00 in Tehran.
WEEKEND = dt.datetime(2026, 12, 4, 6, 30, tzinfo=dt.UTC)
# Monday 1405/09/16, 10:00 in Tehran: a holiday in the test holiday file.
HOLIDAY = dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)

HOLIDAYS = """\
holidays:
  - date: 1405/09/16
    name: تعطیل آزمایشی
"""

CALLER = "09121234567"
_uniqueids = itertools.count(1)


@dataclass
class Dialled:
    """One simulated call: what the caller heard and what it left behind.

    Events as the simulator takes them; when they run out, the caller hangs
    up at the next command that listens."""

    prompts: list[str]
    variables: dict[str, str]
    call: Call | None
    tickets: list[Ticket]
    simulated: SimulatedCall

    @property
    def commands(self) -> list[str]:
        return self.simulated.commands

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        return [(step.kind, step.node, step.value) for step in self.call.steps]

    @property
    def path(self) -> list[str]:
        return self.call.path


def make_wav(path, seconds: float, *, silent: bool = False) -> str:
    """A telephone-format WAV of a loud square tone (what a caller 'says'),
    or of silence (an open line)."""
    frames = int(8000 * seconds)
    # +4000 and -4000 as 16-bit little-endian samples: well above the level
    # ivr.audio counts as voice.
    period = b"\x00\x00\x00\x00" if silent else b"\xa0\x0f\x60\xf0"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(period * (frames // 2))
    return str(path)


class Ivr:
    def __init__(self, settings, host: str, port: int, monkeypatch, tmp_path):
        self.settings = settings
        self.host = host
        self.port = port
        self.tmp_path = tmp_path
        self._monkeypatch = monkeypatch
        self.at(OPEN)

    def at(self, moment: dt.datetime) -> None:
        """Business-hours decisions see this time."""
        self._monkeypatch.setattr(ivr.call, "now", lambda: moment)

    def session(self):
        return session_scope(self.settings.sqlalchemy_url)

    def dial(
        self,
        flow: str = "main",
        keys: list[str] | tuple[str, ...] = (),
        *,
        caller: str = CALLER,
        hangup_at: int | None = None,
        hangup_form: str = "reply",
        args: tuple[str, ...] = (),
        uniqueid: str | None = None,
        variables: dict[str, str] | None = None,
    ) -> Dialled:
        uniqueid = uniqueid or f"1733300000.{next(_uniqueids)}"
        result = simulate_call(
            self.host,
            self.port,
            flow=flow,
            events=list(keys),
            caller_id=caller,
            uniqueid=uniqueid,
            hangup_at=hangup_at,
            hangup_form=hangup_form,
            arguments=list(args),
            variables=variables,
        )
        prompts = result.prompt_names(self.settings.sound_prefix)

        with self.session() as session:
            call = get_call(session, uniqueid)
            if call is not None:
                call.steps  # noqa: B018 - load the steps before the session closes
            tickets = (
                session.query(Ticket).filter(Ticket.call_id == call.id).all()
                if call is not None
                else []
            )
        return Dialled(prompts, dict(result.variables), call, tickets, result)


@pytest.fixture
def ivr_server(settings, db, redis_conn, tmp_path, monkeypatch):
    """The IVR on a free port, the sample catalogue loaded, the clock at
    Saturday 10:00 Tehran time."""
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text(HOLIDAYS, encoding="utf-8")
    current = dataclasses.replace(settings, holidays_file=str(holidays))
    use_settings(current)

    with session_scope(current.sqlalchemy_url) as session:
        load_catalogue(session, current.path(current.catalogue_file))

    server = FastAgiServer("127.0.0.1", 0, dispatch, grace_seconds=2)
    host, port = server.start_in_thread()
    yield Ivr(current, host, port, monkeypatch, tmp_path)
    server.shutdown()
