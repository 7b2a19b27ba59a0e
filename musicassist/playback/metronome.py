"""Metronome clicks and count-in bars as timed messages on the GM drum channel.

The click follows the meter map (an accent on each downbeat, compound meters
such as 6/8 click on the dotted quarter) and the tempo map, so it stays with
the music through meter and tempo changes.
"""

from __future__ import annotations

from fractions import Fraction

import mido

from musicassist.core.errors import OptionError
from musicassist.core.score import DRUM_CHANNEL, Score
from musicassist.core.timemaps import TimeSignature

from .schedule import TimedMessage, sort_messages

CLICK_CHANNEL = DRUM_CHANNEL
DOWNBEAT_PITCH = 76  # GM Hi Wood Block: cuts through any texture
BEAT_PITCH = 77  # GM Low Wood Block
DOWNBEAT_VELOCITY = 110
BEAT_VELOCITY = 75
CLICK_LENGTH = Fraction(1, 8)  # beats; short enough for any tempo, long enough to sound


def pulse_length(time_signature: TimeSignature) -> Fraction:
    """Beats between clicks: the denominator's note, or a dotted one in compound meters."""
    unit = Fraction(4, time_signature.denominator)
    compound = time_signature.denominator >= 8 and time_signature.numerator % 3 == 0
    if compound and time_signature.numerator > 3:
        unit *= 3
    return unit


def click_beats(score: Score, start_beat: Fraction, end_beat: Fraction) -> list[tuple[Fraction, bool]]:
    """``(beat, is_downbeat)`` of every click in ``start_beat..end_beat`` (half-open)."""
    if end_beat <= start_beat:
        return []
    meters = score.meter_map
    clicks: list[tuple[Fraction, bool]] = []
    bar = meters.bar_at(start_beat)
    while meters.bar_start(bar) < end_beat:
        bar_start = meters.bar_start(bar)
        bar_end = meters.bar_start(bar + 1)
        unit = pulse_length(meters.time_signature_at_bar(bar))
        beat = bar_start
        while beat < bar_end:
            if start_beat <= beat < end_beat:
                clicks.append((beat, beat == bar_start))
            beat += unit
        bar += 1
    return clicks


def _click_pair(beat: Fraction, seconds_on: float, seconds_off: float, downbeat: bool) -> list[TimedMessage]:
    pitch, velocity = (DOWNBEAT_PITCH, DOWNBEAT_VELOCITY) if downbeat else (BEAT_PITCH, BEAT_VELOCITY)
    on = mido.Message("note_on", channel=CLICK_CHANNEL, note=pitch, velocity=velocity)
    off = mido.Message("note_off", channel=CLICK_CHANNEL, note=pitch, velocity=0)
    return [TimedMessage(beat, seconds_on, on), TimedMessage(beat + CLICK_LENGTH, seconds_off, off)]


def click_messages(score: Score, start_beat: Fraction, end_beat: Fraction) -> list[TimedMessage]:
    """Click note-on/note-off pairs for ``start_beat..end_beat``, never ringing past ``end_beat``."""
    tempo = score.tempo_map
    out: list[TimedMessage] = []
    for beat, downbeat in click_beats(score, start_beat, end_beat):
        release = min(beat + CLICK_LENGTH, end_beat)
        pair = _click_pair(beat, tempo.seconds_at(beat), tempo.seconds_at(release), downbeat)
        out.append(pair[0])
        out.append(TimedMessage(release, pair[1].seconds, pair[1].message))
    return sort_messages(out)


def count_in_seconds(score: Score, start_beat: Fraction, bars: int) -> float:
    """Length of ``bars`` count-in bars in the meter and tempo found at ``start_beat``."""
    bar_beats = score.meter_map.time_signature_at_bar(score.bar_at(start_beat)).bar_beats
    return float(bars * bar_beats) * 60.0 / score.tempo_map.bpm_at(start_beat)


def count_in_messages(score: Score, start_beat: Fraction, bars: int = 1) -> list[TimedMessage]:
    """Clicks for ``bars`` bars before ``start_beat``, at the meter and tempo found there.

    Their beats are before ``start_beat`` (possibly negative) and their seconds
    are on the piece's clock, so they also precede the first note in time.
    """
    if bars < 0:
        raise OptionError("The count-in cannot be a negative number of bars.")
    if bars == 0:
        return []
    time_signature = score.meter_map.time_signature_at_bar(score.bar_at(start_beat))
    seconds_per_beat = 60.0 / score.tempo_map.bpm_at(start_beat)
    start_seconds = score.tempo_map.seconds_at(start_beat)
    unit = pulse_length(time_signature)
    out: list[TimedMessage] = []
    for bar in range(bars):
        bar_start = start_beat - (bars - bar) * time_signature.bar_beats
        beat = bar_start
        while beat < bar_start + time_signature.bar_beats:
            on_seconds = start_seconds - float(start_beat - beat) * seconds_per_beat
            off_seconds = on_seconds + float(CLICK_LENGTH) * seconds_per_beat
            out.extend(_click_pair(beat, on_seconds, off_seconds, beat == bar_start))
            beat += unit
    return sort_messages(out)
