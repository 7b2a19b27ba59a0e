"""Reading a recorded WAV and finding note onsets in it (numpy energy envelope)."""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .conftest import FluidSynth, JackServer

HOP = 44  # samples: a 1 ms grid at 44.1 kHz


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """Samples in -1..1 (channels summed) and the sample rate of a 16-bit PCM WAV."""
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2:
            raise ValueError("expected 16-bit samples")
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        data = raw.reshape(-1, w.getnchannels()).astype(np.float64) / 32768.0
        return data.sum(axis=1), w.getframerate()


def energy_envelope(samples: np.ndarray) -> np.ndarray:
    frames = len(samples) // HOP
    return (samples[: frames * HOP].reshape(frames, HOP) ** 2).mean(axis=1)


def onset_times(samples: np.ndarray, rate: int, rise: float = 8.0, floor: float = 0.02,
                refractory: float = 0.1) -> list[float]:
    """Seconds at which the energy jumps ``rise``-fold over the 5..25 ms before it.

    ``floor`` (of the loudest frame) ignores noise; ``refractory`` keeps one
    onset per attack. Sound already ringing (a previous note's tail) raises the
    reference, so only a new attack counts.
    """
    env = energy_envelope(samples)
    hop_seconds = HOP / rate
    threshold = env.max() * floor
    onsets: list[float] = []
    last = -np.inf
    for k in range(25, len(env)):
        reference = env[k - 25 : k - 5].mean() + 1e-12
        t = k * hop_seconds
        if env[k] > threshold and env[k] > rise * reference and t - last > refractory:
            onsets.append(t)
            last = t
    return onsets


def record_while(server: JackServer, synth: FluidSynth, seconds: float, wav: Path,
                 action: Callable[[], None]) -> tuple[np.ndarray, int]:
    """Record ``synth``'s audio with jack_rec while ``action`` runs: the samples and their rate."""
    recorder = subprocess.Popen(
        # -B: a ring buffer of 6 s (default 0.4 s) so a busy disk thread never drops audio.
        ["jack_rec", "-f", str(wav), "-d", f"{seconds:.2f}", "-b", "16", "-B", "262144", *synth.audio_ports],
        env=server.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        server.wait_for("   jackrec:input2", connections=True)
        action()
        recorder.wait(seconds + 10)
    finally:
        if recorder.poll() is None:
            recorder.kill()
    return read_mono(wav)
