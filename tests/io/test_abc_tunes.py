"""Splitting an ABC tune book without music21."""

from __future__ import annotations

from musicassist.io.abc_tunes import looks_like_abc, split_abc

BOOK = """%abc-2.1
% a comment that is not a field
%%MIDI program 20
M:6/8
L:1/8

X:1
T:First Tune
T:Its second title
K:G
GAB c2d|

X: 7
K:D
DEF G2A|
"""


def test_each_x_field_starts_a_tune_with_its_number_and_first_title() -> None:
    tunes = split_abc(BOOK)
    assert [(t.number, t.title) for t in tunes] == [("1", "First Tune"), ("7", "Tune 7")]


def test_file_header_fields_are_copied_after_each_x_line() -> None:
    first, second = split_abc(BOOK)
    assert first.text.startswith("X:1\n%%MIDI program 20\nM:6/8\nL:1/8\nT:First Tune")
    assert second.text.startswith("X: 7\n%%MIDI program 20\nM:6/8\nL:1/8\nK:D")
    assert "comment" not in first.text and "abc-2.1" not in first.text
    assert "DEF" not in first.text and "GAB" not in second.text


def test_a_file_without_x_is_one_tune_when_it_has_a_key() -> None:
    (tune,) = split_abc("T:Lonely\r\nM:3/4\r\nK:C\r\nCDE|\r\n")
    assert (tune.number, tune.title, tune.text) == ("1", "Lonely", "T:Lonely\nM:3/4\nK:C\nCDE|\n")
    assert split_abc("just words\n") == []


def test_sniff_needs_an_x_or_k_field_at_a_line_start() -> None:
    assert looks_like_abc("X:1\nK:C\n")
    assert not looks_like_abc("this text mentions X: in passing")


def test_a_tune_without_l_or_m_gets_the_default_unit_length() -> None:
    (tune,) = split_abc("X:3\nK:C\nCDE|\n")
    assert tune.text == "X:3\nL:1/8\nK:C\nCDE|\n"
    (lonely,) = split_abc("K:C\nCDE|\n")
    assert lonely.text == "L:1/8\nK:C\nCDE|\n"
