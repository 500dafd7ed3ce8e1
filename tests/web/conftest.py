"""Fixtures for the web console: the app on the test schema, users of each
role, tickets made through the ticket service, and a real WAV recording."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from ticketing.db import session_scope

PASSWORD = "گذرواژهٔ-آزمایشی-۱۲۳"

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app(settings, db, redis_conn):
    """The console on the test schema; its Redis db (login throttle) empty."""
    from web_console import create_app

    app = create_app(settings)
    app.config["FEED_POLL_SECONDS"] = 0.3
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def make_user(url: str, username: str, role: str, full_name: str = "") -> None:
    from ticketing.users import create_user

    with session_scope(url) as session:
        create_user(session, username, PASSWORD, role, full_name=full_name)


@pytest.fixture
def users(db):
    """One user of each role; their password is PASSWORD."""
    make_user(db, "agent1", "agent", "مریم کریمی")
    make_user(db, "super1", "supervisor", "علی یزدانی")
    make_user(db, "admin1", "admin", "مدیر سامانه")
    return {"agent": "agent1", "supervisor": "super1", "admin": "admin1"}


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password},
    )


@pytest.fixture
def agent_client(client, users):
    response = login(client, users["agent"])
    assert response.status_code == 302
    return client


def write_wav(path: Path, seconds: float = 1.0) -> Path:
    """A real 8 kHz 16-bit mono WAV, as Asterisk records them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        # A square wave, so the file is not silence.
        out.writeframes(
            b"".join(
                (6000 if (i // 20) % 2 else -6000).to_bytes(2, "little", signed=True)
                for i in range(frames)
            )
        )
    return path


def make_ticket(
    url: str,
    *,
    caller: str | None = "09121234567",
    description: str = "",
    service_name: str | None = None,
    status: str | None = None,
    recording: Path | None = None,
    call_id: int | None = None,
) -> int:
    """A voice request made by the ticket service, as the IVR makes it;
    returns its id. recording: a WAV already moved by the worker."""
    from ticketing import service as ticket_service
    from ticketing.models import RecordingState, Service

    with session_scope(url) as session:
        service_id = None
        if service_name:
            row = Service(code=f"s{abs(hash(service_name))}", menu_key="1")
            row.name = service_name
            session.add(row)
            session.flush()
            service_id = row.id

        ticket = ticket_service.create_voice_request(
            session,
            call_id=call_id,
            caller_number=caller,
            spool_path="/var/spool/asterisk/callcenter/none-1.wav",
            seconds=3.2,
            service_id=service_id,
        )
        if description:
            ticket.description = description
        if recording is not None:
            ticket.recording_path = str(recording)
            ticket.recording_state = RecordingState.READY
            ticket.recording_seconds = 1.0
        if status:
            # Set as the state a test starts from: a change_status here would
            # also record (and queue) the caller's SMS about it.
            ticket.status = status
        session.flush()
        return ticket.id
