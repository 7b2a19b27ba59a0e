"""What the roll paints, checked on pixels of an offscreen image, and the note index against brute force."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QColor, QImage, QPainter

from musicassist.core.score import BarRange, Note, Score, Track
from musicassist.gui.note_index import NoteIndex
from musicassist.gui.roll_geometry import RollGeometry
from musicassist.gui.roll_painter import Ghost, RollPainter, RollScene, level_color

pytestmark = pytest.mark.gui
F = Fraction
W, H = 400, 300


def _render(scene: RollScene, geometry: RollGeometry) -> QImage:
    image = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    RollPainter().paint(painter, geometry, scene, W, H)
    painter.end()
    return image


def _pixel(image: QImage, geometry: RollGeometry, pitch: int, beat) -> QColor:
    x, y = geometry.point_at(pitch, beat)
    return image.pixelColor(round(x), round(y))


def test_notes_selection_other_tracks_and_ghosts_each_have_their_look(qapp):
    loud, soft = Note(F(0), 64, F(2), 127), Note(F(2), 62, F(2), 10)
    chosen = Note(F(4), 60, F(1), 80)
    other = Note(F(0), 50, F(4), 80, channel=1)
    score = Score((Track("a", (loud, soft, chosen)), Track("b", (other,), channel=1)), length_bars=4)
    ghost = Ghost((Note(F(0), 67, F(1)),), F(8))
    geometry = RollGeometry(pixels_per_beat=30, key_height=10)
    geometry.center_on_pitch(60, H)
    image = _render(RollScene(score, 0, frozenset({chosen}), ghost, BarRange(0, 1)), geometry)
    assert _pixel(image, geometry, 64, 1).rgb() == level_color(127).rgb()
    assert _pixel(image, geometry, 62, 3).rgb() == level_color(10).rgb()
    assert level_color(127).hue() < 30 < 150 < level_color(10).hue()  # loud warm, soft cool
    assert _pixel(image, geometry, 60, F(9, 2)).rgb() == QColor(255, 230, 90).rgb()  # selected
    dimmed = _pixel(image, geometry, 50, 2)
    assert dimmed.saturation() < 30  # grey: another track
    ghost_pixel = _pixel(image, geometry, 67, F(17, 2))
    assert ghost_pixel.blue() > ghost_pixel.green() and ghost_pixel.red() > ghost_pixel.green()  # violet


def test_a_zoomed_out_view_of_thousands_of_notes_is_rasterised_in_place(qapp):
    notes = tuple(Note(F(i, 2), 40 + i % 40, F(1, 2), 1 + i % 127) for i in range(4000))
    score = Score((Track("a", notes),))
    geometry = RollGeometry(pixels_per_beat=W / float(score.end), key_height=H / 128)
    image = _render(RollScene(score, 0, frozenset({notes[100]})), geometry)
    painted = _pixel(image, geometry, notes[2001].pitch, notes[2001].start + F(1, 4))
    assert painted.saturation() > 60  # a coloured note, not background
    empty = _pixel(image, geometry, 100, 10)
    assert empty.saturation() < 30


starts = st.fractions(min_value=0, max_value=64, max_denominator=12)
durations = st.fractions(min_value=F(1, 12), max_value=16, max_denominator=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(starts, st.integers(0, 127), durations), max_size=40),
       st.floats(0, 70), st.floats(0, 30), st.integers(0, 127), st.integers(0, 127))
def test_note_index_finds_exactly_the_notes_in_view(raw, first, span, low, high):
    notes = Track("t", tuple(Note(s, p, d) for s, p, d in raw)).notes
    index = NoteIndex(notes)
    last = first + span
    expected = [n for n in notes if float(n.end) > first and float(n.start) <= last and low <= n.pitch <= high]
    assert index.overlapping(first, last, low, high) == expected
    selection = notes[::3]
    assert [notes[i] for i in index.indices_of(selection).tolist()] == sorted(selection)


def test_bars_in_view_follow_meter_changes(qapp):
    from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature
    from musicassist.gui.roll_painter import bars_in_view

    meter = MeterMap((MeterChange(0, TimeSignature(4, 4)), MeterChange(2, TimeSignature(7, 8)),
                      MeterChange(4, TimeSignature(3, 4))))
    bars = list(bars_in_view(meter, 1, 6))
    assert [(bar, start) for bar, start, _ in bars] == [(bar, float(meter.bar_start(bar))) for bar in range(1, 7)]
    assert [str(signature) for _, _, signature in bars] == ["4/4", "7/8", "7/8", "3/4", "3/4", "3/4"]


def test_notes_accept_would_replace_are_washed_out_and_struck_through(qapp):
    kept, doomed = Note(F(0), 64, F(2), 100), Note(F(4), 64, F(2), 100)
    score = Score((Track("a", (kept, doomed)),), length_bars=4)
    geometry = RollGeometry(pixels_per_beat=30, key_height=10)
    geometry.center_on_pitch(64, H)
    ghost = Ghost((Note(F(0), 70, F(1)),), F(4), replaced=(doomed,))
    image = _render(RollScene(score, ghost=ghost), geometry)
    background = RollPainter().background
    x, y = geometry.point_at(64, F(1, 2))
    normal = image.pixelColor(round(x), round(y) - 3)
    x, y = geometry.point_at(64, F(9, 2))
    washed = image.pixelColor(round(x), round(y) - 3)

    def distance(a: QColor, b: QColor) -> int:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    assert distance(washed, background) < distance(normal, background) / 2
    struck = image.pixelColor(round(x), round(y))
    assert distance(struck, background) > distance(washed, background)
