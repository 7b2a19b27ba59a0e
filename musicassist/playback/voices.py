"""Which notes are sounding on a port, so that stopping silences exactly those (and nothing hangs).

The player feeds every message it sends through ``SoundingNotes.note``.
``releases()`` gives a note-off for each key still down (used at pause, seek,
loop seams and candidate switches), and lifts a sustain pedal held down, else
the released notes would ring on through it; the next pass chases the
pedal's state again. ``silence()`` adds, on the channels used (or all 16, for
a panic), sustain off, All Notes Off and All Sound Off, and centres the pitch
bend, which catches anything a synth might still hold, such as a note started
by another program or a pedal or bend an imported file left behind.
"""

from __future__ import annotations

from collections import Counter

import mido

ALL_SOUND_OFF = 120
ALL_NOTES_OFF = 123
SUSTAIN_PEDAL = 64


class SoundingNotes:
    """Counts of struck-but-unreleased (channel, pitch) keys, and the channels ever used."""

    def __init__(self) -> None:
        self._down: Counter[tuple[int, int]] = Counter()
        self.channels: set[int] = set()
        self.pedal_down: set[int] = set()  # channels whose sustain pedal was last sent down

    def note(self, message: mido.Message) -> None:
        """Account for a message that has just been sent."""
        if hasattr(message, "channel"):
            self.channels.add(message.channel)
        key = (getattr(message, "channel", 0), getattr(message, "note", 0))
        if message.type == "note_on" and message.velocity > 0:
            self._down[key] += 1
        elif message.type in ("note_on", "note_off") and self._down[key] > 0:
            self._down[key] -= 1
        elif message.type == "control_change" and message.control == SUSTAIN_PEDAL:
            (self.pedal_down.add if message.value >= 64 else self.pedal_down.discard)(message.channel)

    @property
    def sounding(self) -> list[tuple[int, int]]:
        return sorted(key for key, count in self._down.items() if count > 0)

    def releases(self) -> list[mido.Message]:
        """A note-off per sounding key, then pedal up where it is held; afterwards nothing sounds."""
        messages = [mido.Message("note_off", channel=c, note=p, velocity=0) for c, p in self.sounding]
        messages += [mido.Message("control_change", channel=c, control=SUSTAIN_PEDAL, value=0)
                     for c in sorted(self.pedal_down)]
        self._down.clear()
        self.pedal_down.clear()
        return messages

    def silence(self, all_channels: bool = False) -> list[mido.Message]:
        """Releases, then sustain off, All Notes Off, All Sound Off and bend centre on the used
        channels (or all 16). The pedal goes up first: All Notes Off leaves sustained notes ringing."""
        self.pedal_down.clear()  # every channel gets its pedal lifted below
        messages = self.releases()
        for channel in range(16) if all_channels else sorted(self.channels):
            messages.append(mido.Message("control_change", channel=channel, control=SUSTAIN_PEDAL, value=0))
            messages.append(mido.Message("control_change", channel=channel, control=ALL_NOTES_OFF, value=0))
            messages.append(mido.Message("control_change", channel=channel, control=ALL_SOUND_OFF, value=0))
            messages.append(mido.Message("pitchwheel", channel=channel, pitch=0))
        return messages

    def reset(self) -> None:
        self._down.clear()
        self.channels.clear()
        self.pedal_down.clear()
