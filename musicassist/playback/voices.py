"""Which notes are sounding on a port, so that stopping silences exactly those (and nothing hangs).

The player feeds every message it sends through ``SoundingNotes.note``.
``releases()`` gives a note-off for each key still down (used at pause, seek,
loop seams and candidate switches); ``silence()`` adds All Notes Off and
All Sound Off on the channels used (or all 16, for a panic), which catches
anything a synth might still hold, such as a note started by another program.
"""

from __future__ import annotations

from collections import Counter

import mido

ALL_SOUND_OFF = 120
ALL_NOTES_OFF = 123


class SoundingNotes:
    """Counts of struck-but-unreleased (channel, pitch) keys, and the channels ever used."""

    def __init__(self) -> None:
        self._down: Counter[tuple[int, int]] = Counter()
        self.channels: set[int] = set()

    def note(self, message: mido.Message) -> None:
        """Account for a message that has just been sent."""
        if hasattr(message, "channel"):
            self.channels.add(message.channel)
        key = (getattr(message, "channel", 0), getattr(message, "note", 0))
        if message.type == "note_on" and message.velocity > 0:
            self._down[key] += 1
        elif message.type in ("note_on", "note_off") and self._down[key] > 0:
            self._down[key] -= 1

    @property
    def sounding(self) -> list[tuple[int, int]]:
        return sorted(key for key, count in self._down.items() if count > 0)

    def releases(self) -> list[mido.Message]:
        """A note-off per sounding key; afterwards nothing counts as sounding."""
        messages = [mido.Message("note_off", channel=c, note=p, velocity=0) for c, p in self.sounding]
        self._down.clear()
        return messages

    def silence(self, all_channels: bool = False) -> list[mido.Message]:
        """Releases, then All Notes Off and All Sound Off on the used channels (or all 16)."""
        messages = self.releases()
        for channel in range(16) if all_channels else sorted(self.channels):
            messages.append(mido.Message("control_change", channel=channel, control=ALL_NOTES_OFF, value=0))
            messages.append(mido.Message("control_change", channel=channel, control=ALL_SOUND_OFF, value=0))
        return messages

    def reset(self) -> None:
        self._down.clear()
        self.channels.clear()
