"""music21 -> training Score: downbeats stay on barlines through pickups, repeats and ties (real music21)."""

from fractions import Fraction

import pytest

from musicassist.codec import default_vocabulary
from musicassist.ml.corpus_convert import PieceSkipped, stream_to_training_score
from musicassist.ml.corpus_sources import PieceTask, parse_piece, split_abc_tunes

pytest.importorskip("music21")

V = default_vocabulary()


def abc_score(body: str, meter: str = "6/8", length: str = "1/8"):
    from music21.abcFormat import ABCHandler, translate

    handler = ABCHandler()
    handler.process(f"X:1\nT:test\nM:{meter}\nL:{length}\nK:G\n{body}\n")
    return stream_to_training_score(translate.abcToStreamScore(handler))


def starts_and_lengths(score):
    return [(n.start, n.pitch, n.duration) for n in score.notes]


def test_pickup_is_right_aligned_and_repeat_halves_share_one_bar():
    score = abc_score("D | G2A B2c | d3 d2 :| B | c2d e2f | g3- g2 |]")
    notes = starts_and_lengths(score)
    assert notes[0] == (Fraction(5, 2), 62, Fraction(1, 2))  # the pickup D ends bar 1
    assert notes[1][0] == 3  # G on the downbeat of bar 2
    # "d3 d2 :| B |": 5/8 + 1/8 fill one 6/8 bar, so c (next section) is on a downbeat.
    c_start = next(start for start, pitch, _ in notes if pitch == 72 and start > 6)
    assert score.bar_start(score.bar_at(c_start)) == c_start
    assert score.bar_count == 5
    assert str(score.time_signature) == "6/8"


def test_ties_merge_and_grace_notes_vanish():
    score = abc_score("G2 {a}B2 c2- | c6 |]")
    assert [(p, d) for _, p, d in starts_and_lengths(score)] == [(67, 1), (71, 1), (72, 4)]


def test_short_measure_without_partner_is_padded_and_overfull_takes_two_bars():
    padded = abc_score("G6 | A3 | B6 |]")
    assert [s for s, _, _ in starts_and_lengths(padded)] == [0, 3, 6]
    assert padded.bar_count == 3


def _measure(meter, *notes):
    from music21 import meter as m21meter
    from music21 import note, stream

    measure = stream.Measure()
    if meter:
        measure.append(m21meter.TimeSignature(meter))
    measure.append([note.Note(p, quarterLength=q) for p, q in notes])
    return measure


def test_meter_changes_follow_the_music_but_music21_pickup_markers_do_not():
    from music21 import stream

    part = stream.Part()
    part.append([_measure("2/4", ("G4", 2)), _measure(None, ("A4", 1)), _measure("3/4", ("B4", 3)),
                 _measure("1/4", ("C5", 1)), _measure("3/4", ("D5", 3))])
    score = stream_to_training_score(stream.Score([part]))
    meters = [str(score.meter_map.time_signature_at_bar(b)) for b in range(score.bar_count)]
    # The lone 1-beat measure (A) is padded in 2/4; the 1/4 marker before switching back joins a 3/4 bar.
    assert meters == ["2/4", "2/4", "3/4", "3/4", "3/4"]
    assert [n.start for n in score.notes] == [0, 2, 4, 7, 10]


def test_old_long_meters_get_shorter_note_values():
    from music21 import stream

    part = stream.Part([_measure("3/1", ("G4", 4), ("A4", 8)), _measure(None, ("B4", 12))])
    score = stream_to_training_score(stream.Score([part]))
    assert str(score.time_signature) == "3/2"
    assert [(n.start, n.duration) for n in score.notes] == [(0, 2), (2, 4), (6, 6)]


def test_chords_and_several_parts_become_notes_of_separate_tracks():
    from music21 import chord, meter, note, stream

    upper, lower = stream.Part(), stream.Part()
    m1 = stream.Measure(number=1)
    m1.append([meter.TimeSignature("3/4"), chord.Chord(["C4", "E4"], quarterLength=3)])
    m2 = stream.Measure(number=1)
    m2.append([meter.TimeSignature("3/4"), note.Note("C3", quarterLength=3)])
    upper.append(m1)
    lower.append(m2)
    score = stream_to_training_score(stream.Score([upper, lower]))
    assert [[n.pitch for n in t.notes] for t in score.tracks] == [[60, 64], [48]]
    assert score.bar_count == 1


def test_piece_without_time_signature_or_notes_is_skipped_with_a_reason():
    from music21 import note, stream

    part = stream.Part([stream.Measure([note.Note("C4")])])
    with pytest.raises(PieceSkipped, match="no time signature"):
        stream_to_training_score(stream.Score([part]))
    result = parse_piece(PieceTask("memory/x#0", "folk", "", "X:1\nM:11/8\nL:1/8\nK:C\nC4 D4 E3 |]\n"))
    assert result.tokens is None and result.failure == "unsupported meter 11/8"
    broken = parse_piece(PieceTask("memory/y#0", "folk", "", "X:1\nM:4/4\nK:C\n"))
    assert broken.tokens is None and broken.failure


def test_abc_collections_split_into_tunes_with_the_header_in_front():
    text = "% comment\nL:1/8\n\nX:1\nT:a\nK:C\nCDEF|\n\nX:2\nT:b\nK:C\nGABc|\n"
    tunes = split_abc_tunes(text)
    assert len(tunes) == 2
    assert tunes[0].startswith("L:1/8\nX:1") and "GABc" in tunes[1] and "CDEF" not in tunes[1]
    assert "% comment" not in tunes[0]


def test_parse_piece_gives_grammatical_tokens_with_the_style():
    result = parse_piece(PieceTask("memory/z#0", "folk", "", "X:1\nM:3/4\nL:1/4\nK:D\nA | d2 e | f3 |]\n"))
    names = V.describe(result.tokens)
    assert names[:5] == ["BOS", "STYLE_folk", "BAR_3/4", "POS_24", "PITCH_69"]
    assert result.notes == 4 and names[-1] == "EOS"
