"""Speech in a recording: silence and line noise are not a message."""

from __future__ import annotations

import math
import random
import wave

from ivr.audio import speech_seconds

RATE = 8000


def write(path, samples) -> str:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(RATE)
        audio.writeframes(
            b"".join(int(s).to_bytes(2, "little", signed=True) for s in samples)
        )
    return str(path)


def tone(seconds: float, amplitude: int) -> list[int]:
    return [
        amplitude * math.sin(2 * math.pi * 440 * n / RATE)
        for n in range(int(RATE * seconds))
    ]


def test_silence_has_no_speech(tmp_path):
    assert speech_seconds(write(tmp_path / "s.wav", [0] * RATE * 3)) == 0


def test_line_noise_has_no_speech(tmp_path):
    noise = [random.randint(-60, 60) for _ in range(RATE * 3)]

    assert speech_seconds(write(tmp_path / "n.wav", noise)) == 0


def test_a_voice_between_silences_is_counted(tmp_path):
    samples = [0] * RATE + tone(1.5, 4000) + [0] * RATE

    assert 1.4 <= speech_seconds(write(tmp_path / "v.wav", samples)) <= 1.6


def test_an_unreadable_file_is_unknown_not_silent(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not a wav")

    assert speech_seconds(broken) is None
    assert speech_seconds(tmp_path / "missing.wav") is None
