"""A Score handed from the reading child in small pickles comes back equal, notes and events included."""

from fractions import Fraction

from musicassist.core.events import ChannelEvent, RawEvent
from musicassist.core.score import Note, Score, Track
from musicassist.gui import score_pieces


def test_a_score_with_many_notes_and_events_round_trips_in_pieces() -> None:
    notes = tuple(Note(Fraction(i, 4), 40 + i % 40, Fraction(1, 4)) for i in range(2 * score_pieces.PIECE + 7))
    events = (*(ChannelEvent(Fraction(i, 8), "control_change", 1, 11, i % 128) for i in range(score_pieces.PIECE + 1)),
              RawEvent(0, 6, b"m"))
    score = Score(tracks=(Track("a", notes, channel=0), Track("b", (), channel=1, events=events)), title="t")
    data = score_pieces.dumps(("ok", score))
    assert data.count(b"\x80") > 1  # more than one pickle went over
    kind, back = score_pieces.loads(data)
    assert kind == "ok" and back == score


def test_other_messages_pass_as_one_pickle() -> None:
    refused = ValueError("no")
    kind, back = score_pieces.loads(score_pieces.dumps(("refused", refused)))
    assert kind == "refused" and isinstance(back, ValueError) and back.args == ("no",)
