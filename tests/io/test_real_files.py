"""Files written by other programs (abc2midi, music21) and the music21 corpus, end to end."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import pytest
from music21 import chord, converter, corpus, note, stream

from musicassist.core import KeySignature, MeterChange, TempoChange, TimeSignature
from musicassist.io import list_pieces, read_score, write_score
from musicassist.io.abc_prepare import prepare_abc_tune
from musicassist.io.abc_tunes import split_abc
from musicassist.paths import resources_dir

DATA = Path(__file__).resolve().parents[1] / "data"
ABC2MIDI = DATA / "abc2midi"
F = Fraction


def _corpus_path(name: str) -> Path:
    found = corpus.getWork(name)
    return Path(found[0] if isinstance(found, list) else found)


def music21_note_count(source: str | Path, tune: int | None = None) -> int:
    """music21's own count: ties merged (stripTies), chords expanded, grace notes left out.

    One deliberate difference: music21 merges a "tie" between two different
    pitches (O'Neill's transcriptions write slurs that way: ``B/2-c/2``),
    losing the second note; MusicAssist keeps both, so they are added back.
    ABC tunes are counted as played (repeats expanded as abc2midi plays them,
    ``abc_prepare``); tests/differential compares them with abc2midi itself.
    """
    if tune is None and Path(source).suffix != ".abc":
        parsed = converter.parse(source)
    else:
        text = Path(source).read_text(encoding="latin-1")
        parsed = converter.parseData(prepare_abc_tune(split_abc(text)[tune or 0].text).text, format="abc")
    count = 0
    for element in parsed.stripTies().recurse().notes:
        if element.duration.isGrace or element.duration.quarterLength <= 0:
            continue
        if isinstance(element, chord.Chord):
            count += len(element.pitches)
        elif isinstance(element, note.Note):
            count += 1
    return count + _ties_between_different_pitches(parsed)


def _ties_between_different_pitches(parsed: stream.Stream) -> int:
    found = 0
    for part in list(getattr(parsed, "parts", [])) or [parsed]:
        previous = None
        for element in part.flatten().notes:
            if (isinstance(element, note.Note) and isinstance(previous, note.Note)
                    and element.tie is not None and element.tie.type in ("stop", "continue")
                    and previous.tie is not None and previous.tie.type in ("start", "continue")
                    and element.pitch.midi != previous.pitch.midi):
                found += 1
            previous = element
    return found


@pytest.mark.parametrize("name", ["duet.mid", "drums.mid", "jig.mid"])
def test_abc2midi_files_round_trip_with_identical_notes(name: str, tmp_path: Path) -> None:
    original = read_score(ABC2MIDI / name)
    write_score(original, tmp_path / "again.mid")
    again = read_score(tmp_path / "again.mid")
    assert again.notes == original.notes
    assert again == original


def test_abc2midi_duet_reads_its_instruments_tempi_meters_and_key() -> None:
    score = read_score(ABC2MIDI / "duet.mid")
    assert score.title == "Little Duet"
    assert [(t.channel, t.program, len(t.notes)) for t in score.tracks] == [(0, 73, 23), (1, 42, 12)]
    assert score.meter_map.changes == (MeterChange(0, TimeSignature(4, 4)), MeterChange(3, TimeSignature(3, 4)))
    assert score.tempo_map.changes == (TempoChange(F(0), 96.0, 625000), TempoChange(F(15), 72.0, 833333))
    assert score.key == KeySignature.parse("G major")
    triplet = [n for n in score.tracks[0].notes if 4 <= n.start < 5]
    assert [n.pitch for n in triplet] == [72, 71, 69]  # (3cBA: three notes in one beat
    assert all(n.start * 3 % 1 == F(1, 480) * 3 % 1 for n in triplet)


def test_abc2midi_format_0_drum_file_stays_on_the_drum_channel() -> None:
    score = read_score(ABC2MIDI / "drums.mid")
    assert score.title == "Drum Groove"
    assert [(t.name, t.channel, t.is_drums) for t in score.tracks] == [("Drums", 9, True)]
    assert {n.pitch for n in score.notes} == {36, 42, 50}


def test_abc2midi_and_music21_agree_on_the_same_tune() -> None:
    """Two independent readers of one ABC tune: abc2midi's MIDI and music21's ABC parser."""
    from_midi = read_score(ABC2MIDI / "jig.mid").notes
    from_abc = read_score(ABC2MIDI / "jig.abc").notes
    assert [n.pitch for n in from_midi] == [n.pitch for n in from_abc]
    # abc2midi starts a tick late, ends a tick early, does not move the pickup to a full bar, and
    # strums chords: the upper note of [Ac] starts 10 ticks (of 480) after the lower one.
    shift = from_abc[0].start - from_midi[0].start
    pairs = list(zip(from_abc, from_midi, strict=True))
    assert {a.start - m.start for a, m in pairs} == {shift, shift - F(10, 480)}
    assert {a.duration - m.duration for a, m in pairs} == {F(1, 480), F(11, 480)}
    assert sum(1 for a, m in pairs if a.start - m.start != shift) == 1


def test_music21_written_midi_matches_the_chorale_it_came_from() -> None:
    from_midi = read_score(DATA / "music21" / "bwv66_6_music21.mid")
    from_musicxml = read_score(_corpus_path("bach/bwv66.6"))
    assert [t.name for t in from_midi.tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    # both start with the one-beat pickup (MusicXML's is a short first bar)
    assert [(n.start, n.pitch, n.duration) for n in from_midi.notes] == [
        (n.start, n.pitch, n.duration) for n in from_musicxml.notes
    ]


CORPUS_PIECES = [
    ("bach/bwv66.6", None),
    ("bach/bwv277.krn", None),
    ("oneills1850/0001-0050.abc", 2),
    ("essenFolksong/han1.abc", 10),
    ("ryansMammoth/BanishMisfortune.abc", None),
]


@pytest.mark.parametrize(("name", "tune"), CORPUS_PIECES)
def test_corpus_pieces_convert_to_midi_with_music21s_note_count(name: str, tune: int | None, tmp_path: Path) -> None:
    source = _corpus_path(name)
    score = read_score(source, tune)
    write_score(score, tmp_path / "piece.mid")
    back = read_score(tmp_path / "piece.mid")
    assert back.note_count == score.note_count == music21_note_count(source, tune)
    assert back.notes == score.notes


@pytest.mark.slow
def test_a_sample_of_the_corpus_keeps_music21s_note_counts(tmp_path: Path) -> None:
    root = _corpus_path("bach/bwv66.6").parents[1]
    rng = random.Random(2024)
    pieces: list[tuple[Path, int | None]] = [(p, None) for p in rng.sample(sorted(root.glob("bach/*.mxl")), 15)]
    pieces += [(p, None) for p in rng.sample(sorted(root.rglob("*.krn")), 5)]
    for book in rng.sample(sorted(root.glob("oneills1850/*.abc")) + sorted(root.glob("essenFolksong/*.abc")), 6):
        count = len(list_pieces(book))
        pieces += [(book, index) for index in rng.sample(range(count), min(3, count))]
    for path, tune in pieces:
        score = read_score(path, tune)
        write_score(score, tmp_path / "piece.mid")
        assert read_score(tmp_path / "piece.mid").note_count == music21_note_count(path, tune), (path, tune)


def test_the_shipped_samples_open() -> None:
    samples = resources_dir() / "samples"
    melody = read_score(samples / "melody.mid")
    assert (melody.title, melody.tracks[0].name, melody.note_count) == ("Ode to Joy", "Melody", 30)
    chorale = read_score(samples / "chorale.musicxml")
    assert [t.name for t in chorale.tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert chorale.note_count == 163
    assert list_pieces(samples / "two_tunes.abc") == ["Twinkle, Twinkle, Little Star", "Frère Jacques"]
    assert read_score(samples / "two_tunes.abc", 1).key == KeySignature.parse("F major")
