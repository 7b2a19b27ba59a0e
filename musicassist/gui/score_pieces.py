"""Hand a large Score from the reading child to the window in small pickles.

``pickle.loads`` of a whole 17,842-note Score is one C call of about half a
second that holds Python's interpreter lock: the waiting thread would stall
the event loop that long even though the parse ran in another process. So
the child sends the Score without its notes and events, then those in
pieces of ``PIECE`` items; the thread unpickles piece by piece, and between
pieces (Python bytecode) the interpreter lets the GUI thread run.

Frames on the wire: an 8-byte big-endian length, then that many bytes.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from musicassist.core.score import Score

PIECE = 400  # notes or events per pickle: a few milliseconds to unpickle
_FIELDS = ("notes", "events")


def _frame(payload: Any) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "big") + data


def dumps(message: tuple[str, object]) -> bytes:
    """``message`` as frames: a Score result goes hollow first, then its tracks' notes and events in pieces."""
    kind, value = message
    if kind != "ok" or not isinstance(value, Score):
        return _frame((kind, value, None))
    hollow = replace(value, tracks=tuple(replace(track, notes=(), events=()) for track in value.tracks))
    sizes = [[len(getattr(track, name)) for name in _FIELDS] for track in value.tracks]
    frames = [_frame((kind, hollow, sizes))]
    for track in value.tracks:
        for name in _FIELDS:
            items = getattr(track, name)
            frames += [_frame(items[start:start + PIECE]) for start in range(0, len(items), PIECE)]
    return b"".join(frames)


def _frames(data: bytes) -> Iterator[bytes]:
    position = 0
    while position < len(data):
        size = int.from_bytes(data[position:position + 8], "big")
        yield data[position + 8:position + 8 + size]
        position += 8 + size


def loads(data: bytes) -> tuple[str, object]:
    """The message ``dumps`` framed, unpickled in pieces (see the module's docstring for why)."""
    frames = _frames(data)
    kind, value, sizes = pickle.loads(next(frames))
    if sizes is None:
        return kind, value
    assert isinstance(value, Score)
    # Tens of thousands of new objects set off the cyclic collector, whose full passes over the window's
    # own objects held the interpreter lock for 50-70 ms (measured): notes, events and Fractions make no
    # cycles, so collection waits until they are all built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for track, counts in zip(value.tracks, sizes, strict=True):
            for name, count in zip(_FIELDS, counts, strict=True):
                items: list[Any] = []
                while len(items) < count:
                    items += pickle.loads(next(frames))
                # The hollow tracks are fresh objects no one else holds, and the items are in the order the
                # child's Track already gave them: set them without Track's sort (as Track.presorted does).
                object.__setattr__(track, name, tuple(items))
    finally:
        if collecting:
            gc.enable()
    return kind, value
