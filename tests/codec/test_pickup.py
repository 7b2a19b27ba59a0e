"""A score that starts with a pickup encodes as the training corpus stores pickups: a full bar, rest first."""

from fractions import Fraction

from musicassist.codec import decode, encode
from musicassist.core.score import Note, Score, Track
from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature

F = Fraction


def test_a_pickup_is_encoded_as_a_full_bar_padded_at_the_start() -> None:
    notes = (Note(F(0), 67, F(1)), Note(F(1), 72, F(3)), Note(F(4), 76, F(3)))
    pickup = Score((Track("Melody", notes),), MeterMap.from_changes([MeterChange(0, TimeSignature(3, 4))], F(1)))
    padded = Score((Track("Melody", tuple(n.moved(F(2)) for n in notes)),), MeterMap.constant(TimeSignature(3, 4)))
    assert pickup.bar_count == padded.bar_count == 3
    assert list(encode(pickup)) == list(encode(padded))
    decoded = decode(encode(pickup))
    assert [(n.start, n.pitch) for n in decoded.notes] == [(2, 67), (3, 72), (6, 76)]
