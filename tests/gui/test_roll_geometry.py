from fractions import Fraction

import pytest

from musicassist.core.score import Note
from musicassist.core.timemaps import MeterChange, MeterMap, TimeSignature
from musicassist.gui.roll_geometry import RollGeometry, snap_beat

F = Fraction


def test_beats_and_pitches_round_trip_through_pixels_with_scroll():
    geometry = RollGeometry(pixels_per_beat=48, key_height=10, scroll_x=100, scroll_y=300)
    for beat in (F(0), F(5, 2), F(17, 3), F(64)):
        assert geometry.x_to_beat(geometry.beat_to_x(beat)) == beat
    for pitch in (0, 59, 60, 127):
        x, y = geometry.point_at(pitch, F(3))
        assert geometry.y_to_pitch(y) == pitch
        assert geometry.x_to_beat(x) == 3


def test_left_of_the_piece_clamps_to_beat_zero_and_pitch_range():
    geometry = RollGeometry()
    assert geometry.x_to_beat(-50) == 0
    assert geometry.y_to_pitch(-1000) == 127
    assert geometry.y_to_pitch(1e6) == 0


def test_note_rect_and_resize_handle():
    geometry = RollGeometry(pixels_per_beat=40, key_height=12)
    note = Note(F(1), 60, F(2))
    x, y, width, height = geometry.note_rect(note)
    assert (x, width, height) == (40, 80, 12)
    assert geometry.y_to_pitch(y + 1) == 60
    assert geometry.near_right_edge(note, x + width - 2)
    assert not geometry.near_right_edge(note, x + width / 2)


def test_zoom_keeps_the_beat_under_the_pointer():
    geometry = RollGeometry(pixels_per_beat=50, scroll_x=200)
    before = geometry.x_to_beat(300)
    geometry.zoom_horizontally(2.0, 300)
    assert geometry.pixels_per_beat == 100
    assert geometry.x_to_beat(300) == before
    geometry.zoom_horizontally(1e9, 0)
    assert geometry.pixels_per_beat == 800  # clamped


def test_snap_counts_from_the_barline_in_odd_meters():
    meter = MeterMap.from_changes([MeterChange(0, TimeSignature(7, 8)), MeterChange(1, TimeSignature(4, 4))])
    # Bar 2 starts at beat 7/2; quarter-note grid cells count from there, not from beat 0.
    assert snap_beat(F(37, 10), F(1), meter) == F(7, 2)
    assert snap_beat(F(43, 10), F(1), meter) == F(9, 2)
    assert snap_beat(F(43, 10), F(1), meter, "floor") == F(7, 2)
    assert snap_beat(F(13, 10), F(1, 3), MeterMap()) == F(4, 3)
    assert snap_beat(F(13, 10), None, MeterMap()) == F(13, 10)


@pytest.mark.parametrize("pitch", [0, 64, 127])
def test_visible_pitch_range_contains_rows_on_screen(pitch):
    geometry = RollGeometry(key_height=10)
    geometry.center_on_pitch(pitch, 200)
    low, high = geometry.visible_pitches(200)
    assert low <= pitch <= high
