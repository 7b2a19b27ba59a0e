"""Seeded mutation of real MIDI, MusicXML and ABC files, and the checks every mutated file must pass.

The seeds are real files written by other programs (``tests/data``: abc2midi's
MIDI and ABC, music21's MIDI of a chorale, and the chorale's MusicXML from
music21's corpus) plus MusicXML written by MusicAssist itself. Each case is
one ``random.Random(case)`` draw, so a failure names a case number that
reproduces it exactly. Mutations are the ones that found the bugs of issue
12: byte flips, cuts and duplications, and, in text, numbers replaced by
absurd ones (a duration of a billion, ``3+4+99999`` beats) and fields
inserted where a tune or a score does not expect them.

``check_case`` states the contract: reading gives a valid score or a
``MusicAssistError`` (never another exception), within a CPU-time bound,
and whatever is accepted can be saved as MIDI and read back unchanged.
"""

from __future__ import annotations

import random
import re
import resource
import signal
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from musicassist.core.errors import MusicAssistError
from musicassist.core.limits import size_problem
from musicassist.core.score import Score

DATA = Path(__file__).resolve().parent.parent / "data"
CPU_SECONDS_BOUND = 5.0  # per case, as issue 12 asks; CPU time so that other processes do not count
HANG_SECONDS = 60.0  # wall-clock: only to turn a hang into a failure instead of a stuck suite

_NUMBER = re.compile(rb"\d+")
_ABSURD_NUMBERS = (b"0", b"1", b"64", b"65", b"99999", b"1000000", b"1000000000", b"4294967296", b"3+4+99999",
                   b"-1", b"1e9", b"NaN", b"", b"1/0", b"0/0", b"00000000000000000000001")
_TEXT_INSERTS = {
    "abc": (b"A1000000", b"[M:1000000/1]", b"\nL:1000/1\n", b"\nM:3+4+99999/4\n", b"[CEG]99999", b"Z100000",
            b"A//////////", b"(3", b'"', b"[", b"\nK:\n", b"\nX:2\n", b"&", b"\nV:2\n"),
    "musicxml": (b"<forward><duration>1000000000</duration></forward>", b"<backup><duration>99999</duration></backup>",
                 b"<divisions>0</divisions>", b"<beats>3+4+99999</beats>", b"<note><chord/></note>",
                 b"<measure number='x'>", b"</part>", b"<time><beats>1000000</beats><beat-type>3</beat-type></time>",
                 b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>", b"&a;", b"<grace/>", b"<tie type='start'/>"),
}


@dataclass(frozen=True)
class Seed:
    name: str
    kind: str  # "midi", "musicxml" or "abc": which mutations apply
    suffix: str
    data: bytes


_ENCODING_DATE = re.compile(rb"<encoding-date>[^<]*</encoding-date>")


def seeds() -> list[Seed]:
    """The real files every case starts from."""
    found = [Seed(p.name, "midi", ".mid", p.read_bytes()) for p in sorted(DATA.glob("*/*.mid"))]
    found += [Seed(p.name, "abc", ".abc", p.read_bytes()) for p in sorted(DATA.glob("*/*.abc"))]
    import music21

    chorale = Path(music21.__file__).parent / "corpus" / "bach" / "bwv66.6.mxl"
    with zipfile.ZipFile(chorale) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xml") and not n.startswith("META-INF"))
        found.append(Seed("bwv66.6.xml", "musicxml", ".musicxml", archive.read(name)))
    from musicassist.io import read_score
    from musicassist.io.music21_files import musicxml_bytes

    for path in sorted(DATA.glob("*/*.abc")):  # MusicXML as MusicAssist writes it (dated today: fixed here,
        # so that a case number names the same file on any day)
        written = _ENCODING_DATE.sub(b"<encoding-date>2026-01-01</encoding-date>", musicxml_bytes(read_score(path)))
        found.append(Seed(path.stem + ".musicxml", "musicxml", ".musicxml", written))
    return found


# ------------------------------------------------------------------------------------------------ mutations

def _flip_bits(rng: random.Random, data: bytes, kind: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _extreme_bytes(rng: random.Random, data: bytes, kind: str) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] = rng.choice((0x00, 0x7F, 0x80, 0xFF, 0x90, 0xFF, 0x2F))
    return bytes(out)


def _cut(rng: random.Random, data: bytes, kind: str) -> bytes:
    return data[: rng.randrange(1, len(data))]


def _delete_slice(rng: random.Random, data: bytes, kind: str) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 64):]


def _duplicate_slice(rng: random.Random, data: bytes, kind: str) -> bytes:
    start = rng.randrange(len(data))
    piece = data[start:start + rng.randint(1, 200)]
    return data[:start] + piece * rng.randint(2, 20) + data[start:]


def _random_insert(rng: random.Random, data: bytes, kind: str) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]


def _absurd_number(rng: random.Random, data: bytes, kind: str) -> bytes:
    numbers = list(_NUMBER.finditer(data))
    if not numbers:
        return _flip_bits(rng, data, kind)
    for _ in range(rng.randint(1, 3)):
        found = rng.choice(numbers)
        data = data[:found.start()] + rng.choice(_ABSURD_NUMBERS) + data[found.end():]
        numbers = list(_NUMBER.finditer(data)) or numbers
    return data


def _insert_field(rng: random.Random, data: bytes, kind: str) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + rng.choice(_TEXT_INSERTS[kind]) + data[at:]


def _shuffle_lines(rng: random.Random, data: bytes, kind: str) -> bytes:
    lines = data.split(b"\n")
    if len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        if rng.random() < 0.5:
            del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _midi_field(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A 2- or 4-byte header or chunk field set to an extreme value (track count, length, division)."""
    offsets = [10, 12] + [m.start() + 4 for m in re.finditer(rb"MTrk", data)]
    at = rng.choice(offsets)
    width = 2 if at in (10, 12) else 4
    largest = 0xFFFF if width == 2 else 0xFFFFFFFF
    value = rng.choice((0, 1, 2, 0x7F, 0x80, largest, largest // 2, largest // 2 + 1))
    return data[:at] + value.to_bytes(width, "big") + data[at + width:]


_BYTE_MUTATIONS: tuple[Callable[[random.Random, bytes, str], bytes], ...] = (
    _flip_bits, _extreme_bytes, _cut, _delete_slice, _duplicate_slice, _random_insert)
MUTATIONS: dict[str, tuple[Callable[[random.Random, bytes, str], bytes], ...]] = {
    "midi": (*_BYTE_MUTATIONS, _midi_field, _midi_field, _absurd_number),
    "abc": (*_BYTE_MUTATIONS, _absurd_number, _absurd_number, _insert_field, _insert_field, _shuffle_lines),
    "musicxml": (*_BYTE_MUTATIONS, _absurd_number, _absurd_number, _insert_field, _insert_field, _shuffle_lines),
}


def mutate(case: int, pool: list[Seed]) -> tuple[Seed, bytes, str]:
    """Case number -> (seed, mutated bytes, what was done); the same number always gives the same file."""
    rng = random.Random(case)
    seed = rng.choice(pool)
    data, done = seed.data, []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        mutation = rng.choice(MUTATIONS[seed.kind])
        data = mutation(rng, data, seed.kind) or seed.data
        done.append(mutation.__name__.lstrip("_"))
    return seed, data, "+".join(done)


# ------------------------------------------------------------------------------------------------ the contract

class Hang(Exception):
    """Raised by the wall-clock alarm inside a case that does not finish."""


@contextmanager
def hang_guard(seconds: float = HANG_SECONDS) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _cpu_seconds() -> float:
    """This process's CPU time plus its finished children's: notation files are parsed in a child."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    cpu_seconds: float
    problem: str | None  # None: the contract holds


def check_case(path: Path, with_musicxml: bool = False) -> Outcome:
    """Read ``path`` and hold the result to the contract (see the module docstring)."""
    from musicassist.io import read_score
    from musicassist.io.midi_file import read_midi_bytes, score_to_midi_bytes
    from musicassist.io.music21_files import musicxml_bytes, read_musicxml

    started = _cpu_seconds()
    try:
        with hang_guard():
            try:
                score = read_score(path)
            except MusicAssistError as refused:
                message, cpu = str(refused), _cpu_seconds() - started
                plain = "\n" not in message and "Traceback" not in message and message
                slow = f"refused after {cpu:.1f} s of CPU" if cpu >= CPU_SECONDS_BOUND else None
                return Outcome(False, cpu, slow if plain else f"bad message {message!r}")
            if not isinstance(score, Score) or size_problem(score) is not None:
                return Outcome(True, _cpu_seconds() - started, f"accepted an invalid score: {size_problem(score)}")
            written = score_to_midi_bytes(score)
            back = read_midi_bytes(written)
            if read_midi_bytes(score_to_midi_bytes(back)) != back:
                return Outcome(True, _cpu_seconds() - started, "MIDI written and read back changed")
            if with_musicxml and score.note_count <= 400 and score.bar_count <= 200:
                read_musicxml(musicxml_bytes(score))  # our own MusicXML must read back
    except Hang as hang:
        return Outcome(False, _cpu_seconds() - started, f"hang: {hang}")
    except MusicAssistError as exc:  # a refusal while saving or re-reading what was accepted
        return Outcome(True, _cpu_seconds() - started, f"accepted but cannot be saved/read back: {exc}")
    except Exception as exc:  # the point: any other exception is the bug looked for
        return Outcome(False, _cpu_seconds() - started, f"{type(exc).__name__}: {exc}"[:300])
    cpu = _cpu_seconds() - started
    return Outcome(True, cpu, None if cpu < CPU_SECONDS_BOUND else f"took {cpu:.1f} s of CPU")
