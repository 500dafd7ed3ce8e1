"""A FastAGI server on a free port, and a caller's recorded message."""

from __future__ import annotations

import wave

import pytest

from ivr.agi.fastagi import FastAgiServer
from tests.agi import handlers


@pytest.fixture
def spool(tmp_path, monkeypatch):
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setenv("AGI_TEST_SPOOL", str(folder))
    return folder


@pytest.fixture
def kept():
    handlers.KEPT.clear()
    yield handlers.KEPT
    handlers.KEPT.clear()


@pytest.fixture
def serve():
    """serve(handler) -> (host, port) of a running FastAGI server."""
    servers = []

    def start(handler, **options):
        server = FastAgiServer("127.0.0.1", 0, handler, **options)
        servers.append(server)
        return server.start_in_thread()

    yield start
    for server in servers:
        server.shutdown()


def write_wav(path, samples: int) -> str:
    with wave.open(str(path), "wb") as audio:
        audio.setparams((1, 2, 8000, 0, "NONE", "not compressed"))
        # A quiet ramp rather than silence, so a copy is checkable.
        audio.writeframes(
            b"".join((i % 200).to_bytes(2, "little") for i in range(samples))
        )
    return str(path)


@pytest.fixture
def message_wav(tmp_path):
    """25,280 samples: the 3.2 s of field case 1."""
    return write_wav(tmp_path / "message.wav", 25280)
