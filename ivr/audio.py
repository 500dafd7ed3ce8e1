"""How much of a recording is speech, so silence does not become a ticket.

Asterisk's RECORD FILE stops on silence only after some seconds of it, and
a caller who says nothing (an open line, a pocket dial) still leaves a
second or more of audio. The IVR reads the WAV Asterisk wrote, when it can
see the spool folder, and counts the 20 ms frames loud enough to be a
voice.
"""

from __future__ import annotations

import sys
import wave
from array import array
from pathlib import Path

FRAME_MS = 20

# RMS level of a frame, in 16-bit sample units, above which it counts as
# voice. Telephone line noise sits well below it; quiet speech well above.
VOICE_LEVEL = 300


def speech_seconds(path: str | Path, level: int = VOICE_LEVEL) -> float | None:
    """Seconds of frames louder than level; None if the file is unreadable.

    Reads the whole file in the call's thread: about 0.03 s of CPU here
    for the longest allowed message (two minutes at 8 kHz).
    """
    try:
        with wave.open(str(path), "rb") as audio:
            if audio.getsampwidth() != 2:
                return None
            rate, channels = audio.getframerate(), audio.getnchannels()
            data = audio.readframes(audio.getnframes())
    except (OSError, EOFError, wave.Error):
        return None

    samples = array("h")
    samples.frombytes(data[: len(data) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()

    frame = max(rate * FRAME_MS // 1000 * channels, 1)
    threshold = level * level * frame
    voiced = sum(
        1
        for start in range(0, len(samples) - frame + 1, frame)
        if sum(x * x for x in samples[start : start + frame]) > threshold
    )
    return voiced * FRAME_MS / 1000
