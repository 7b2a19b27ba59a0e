"""Read and write notation files (MusicXML, compressed MusicXML, ABC, Humdrum) through music21.

Only ``formats`` imports this module, and only when such a file is opened or
saved, so that reading a MIDI file never pays for importing music21.

music21 raises many kinds of exceptions on damaged input and prints warnings
straight to stderr; every call here is wrapped so that a damaged file gives
one FileFormatError sentence and the terminal stays clean. music21's time
grows faster than the length of the music (quadratically for ABC and
Humdrum), so ``formats`` caps the size of what it hands over and MusicXML
scores are capped by their number of notes. Content has
already been sniffed by ``formats`` before it gets here, so music21 never sees
a PNG or a MIDI file. Compressed MusicXML is unzipped here with size limits,
so a zip bomb is refused before anything is inflated.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import itertools
import re
import threading
import warnings
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any, TypeVar

from music21 import converter, defaults, note, stream
from music21.musicxml.m21ToXml import ScoreExporter

from musicassist.core.errors import FileFormatError
from musicassist.core.limits import size_problem
from musicassist.core.score import Score

from .abc_prepare import apply_voice_midi, prepare_abc_tune
from .atomic import FileWriteError
from .bounded import run_bounded
from .music21_bridge import score_to_stream, stream_to_score
from .notation_limits import check_abc_tune, check_musicxml_text

_CONTAINER = "META-INF/container.xml"
_MXL_MIMETYPE = b"application/vnd.recordare.musicxml"
_CONTAINER_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<container>\n  <rootfiles>\n'
    b'    <rootfile full-path="score.musicxml" media-type="application/vnd.recordare.musicxml+xml"/>\n'
    b"  </rootfiles>\n</container>\n"
)

MAX_MUSICXML_NOTES = 30_000  # music21 reads ~3,000 a second: 10 s, in the window behind a Cancel button
# music21 writes ~600 notes and ~300 measures a second on this project's machines: these caps keep a
# MusicXML save under about 15 s. Larger scores are refused with the limit named (MIDI has none of them).
MAX_EXPORT_NOTES = 8_000
MAX_EXPORT_MEASURES = 4_000  # bars x parts
MAX_EXPORT_CPU_SECONDS = 20  # the hard limit behind the caps: dense music costs music21 several times more
_NOTE_ELEMENT = re.compile(r"<note[\s>]")
_PART_LIST = re.compile(r"<part-list\b.*?</part-list>", re.DOTALL)
# Control characters XML 1.0 forbids even as references; a title or track name read from a damaged
# ABC or MIDI file can carry them, and music21 writes them as they are. In UTF-8 these bytes never
# occur inside a multi-byte character, so removing them from the document is exact.
_XML_ILLEGAL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")

Result = TypeVar("Result")


# music21 is not thread-safe, and the stderr redirection and beaming switch below are
# process-wide: one music21 job at a time.
_MUSIC21_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence music21's stderr warnings (it writes them with sys.stderr.write)."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _without_beaming() -> Iterator[None]:
    """Skip music21's beaming while importing ABC.

    Beams are notation we throw away, and ``makeBeams`` costs time quadratic
    in the length of a tune (2,000 notes: 6.5 s of a 7.2 s parse).
    """
    original = stream.Stream.makeBeams
    stream.Stream.makeBeams = _no_beams  # type: ignore[method-assign]
    try:
        yield
    finally:
        stream.Stream.makeBeams = original  # type: ignore[method-assign]


def _no_beams(self: stream.Stream[Any], *args: object, **keywords: object) -> None:
    return None


def _guarded(action: Callable[[], Result], failure: str) -> Result:
    with _MUSIC21_LOCK:
        return _unlocked(action, failure)


def _unlocked(action: Callable[[], Result], failure: str) -> Result:
    """``_guarded`` for code that already holds the lock (a bounded child forked while holding it)."""
    try:
        with _quiet():
            return action()
    except MemoryError:
        raise  # the bounded child reports it as too much memory
    except Exception as exc:  # music21 raises dozens of types (its own, ParseError, KeyError, RecursionError...)
        raise FileFormatError(failure) from exc


def _bounded_read(parse: Callable[[], stream.Stream[Any]], cpu_seconds: float, kind: str,
                  after_parse: Callable[[stream.Stream[Any]], None] = lambda parsed: None) -> Score:
    """Parse and convert in a child process with hard CPU and memory limits (see ``bounded``)."""
    file_kind = kind.replace(" score", " file")

    def parse_and_convert() -> Score:
        parsed = _unlocked(parse, f"This {file_kind} is damaged or uses features MusicAssist cannot read.")
        after_parse(parsed)
        score = _unlocked(lambda: stream_to_score(parsed), f"This {kind} could not be converted.")
        # The text checks bound beats; bars follow from beats and meters only here (one note of
        # 99,000 beats in 3/8 is 66,000 bars, fuzz case 107107).
        problem = size_problem(score)
        if problem is not None:
            raise FileFormatError(f"MusicAssist cannot open this {file_kind}: {problem}.")
        return score

    with _MUSIC21_LOCK:  # forked while held, so that no other thread holds it in the child
        return run_bounded(parse_and_convert, cpu_seconds,
                           f"This {kind} takes more time or memory to read than MusicAssist allows.")


def xml_text(data: bytes) -> str:
    """Decode an XML document as its byte-order mark or declaration says (music21 assumes UTF-8)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    declared = _XML_ENCODING.match(data[:200])
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except LookupError:  # a name Python does not know: the document is most likely UTF-8
        return data.decode("utf-8", errors="replace")
    except UnicodeDecodeError:  # a stray byte (a Latin-1 title in a UTF-8 file) must not lose the score
        return data.decode(encoding if encoding.lower().replace("-", "") == "utf8" else "utf-8", errors="replace")
    except Exception as exc:  # UnicodeError, and whatever an exotic codec (punycode, idna) raises
        raise FileFormatError(
            f"This MusicXML file is damaged: it is not written in the '{encoding[:40]}' encoding it declares."
        ) from exc


def read_musicxml(data: bytes) -> Score:
    """Parse a MusicXML document in any encoding its BOM or declaration names."""
    text = xml_text(data)
    check_musicxml_text(text)  # lengths, meters and parts, before music21 builds anything
    # music21 reads ~3,000 notes a second: counting note elements first bounds the time.
    notes = sum(1 for _ in itertools.islice(_NOTE_ELEMENT.finditer(text), MAX_MUSICXML_NOTES + 1))
    if notes > MAX_MUSICXML_NOTES:
        raise FileFormatError(
            f"This MusicXML score has more than {MAX_MUSICXML_NOTES:,} notes, more than MusicAssist can open."
        )
    programs = _midi_programs(text)
    return _bounded_read(lambda: converter.parseData(text, format="musicxml"), 4 + notes / 1000, "MusicXML score",
                         lambda parsed: _repair(parsed, programs))


def _repair(parsed: stream.Stream[Any], programs: dict[str, int]) -> None:
    _restore_midi_programs(parsed, programs)
    for part in getattr(parsed, "parts", []):
        _unstretch_rests(part)


def _unstretch_rests(part: stream.Stream[Any]) -> None:
    """Undo music21's stretching of a rest that does not start its bar to a whole bar.

    When one voice of a measure has a full-measure rest, music21 (10.5) stretches the measure's first
    rest to a full bar, even a whole-note rest after a quarter note in another voice of a 5/4 bar
    (1 + 5 beats): the bar grows and every later bar moves. The rest is cut back to the bar's end and
    the later measures move back by what the bar lost.
    """
    shift = 0.0
    for measure in part.getElementsByClass(stream.Measure):
        if shift:
            part.setElementOffset(measure, part.elementOffset(measure) - shift)
        before = measure.highestTime
        bar = measure.barDuration.quarterLength
        cut = False
        for rest in measure.recurse().getElementsByClass(note.Rest):
            start = rest.getOffsetInHierarchy(measure)
            if rest.fullMeasure is True and start > 0 and start + rest.quarterLength > bar:
                rest.duration.quarterLength = bar - start
                if rest.activeSite is not None:  # its voice: its length changed
                    rest.activeSite.coreElementsChanged()
                cut = True
        if cut:
            measure.coreElementsChanged()
            shift += before - measure.highestTime
    if shift:
        part.coreElementsChanged()


def _midi_programs(text: str) -> dict[str, int]:
    """Part id -> General MIDI program (0-based) from the ``<part-list>``'s ``<midi-program>`` elements."""
    found = _PART_LIST.search(text)
    if found is None:
        return {}
    try:
        part_list = ElementTree.fromstring(found.group(0))
    except ElementTree.ParseError:
        return {}
    programs = {}
    for score_part in part_list.iter("score-part"):
        program = score_part.findtext("midi-instrument/midi-program")
        if program and program.strip().isdigit() and 1 <= int(program) <= 128:
            programs[str(score_part.get("id"))] = int(program) - 1
    return programs


def _restore_midi_programs(parsed: stream.Stream[Any], programs: dict[str, int]) -> None:
    """music21 replaces a part's ``<midi-program>`` by its instrument class's default (an
    "Electric Piano" on program 5 comes back as program 2); put the file's program back."""
    for part in getattr(parsed, "parts", []):
        found = part.getInstrument(returnDefault=False)
        # music21 renames the part after its name but keeps the file's id on the instrument.
        if found is not None and found.partId in programs:
            found.midiProgram = programs[found.partId]


def read_mxl(data: bytes, max_unzipped_bytes: int) -> Score:
    return read_musicxml(unzip_mxl(data, max_unzipped_bytes))


def unzip_mxl(data: bytes, max_unzipped_bytes: int) -> bytes:
    """The MusicXML document inside a compressed MusicXML (.mxl) archive, refused past the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            name = _root_file_name(archive)
            info = archive.getinfo(name)
            if info.file_size > max_unzipped_bytes:
                raise FileFormatError(_too_big_sentence(max_unzipped_bytes))
            with archive.open(info) as member:
                xml = member.read(max_unzipped_bytes + 1)  # the zip header may lie about the size
    except FileFormatError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError...
        raise FileFormatError("This compressed MusicXML file is damaged.") from exc
    if len(xml) > max_unzipped_bytes:
        raise FileFormatError(_too_big_sentence(max_unzipped_bytes))
    return xml


def _too_big_sentence(limit: int) -> str:
    return f"This compressed MusicXML file unpacks to more than {limit // 2**20} MB, more than MusicAssist opens."


def _root_file_name(archive: zipfile.ZipFile) -> str:
    names = archive.namelist()
    if _CONTAINER in names and archive.getinfo(_CONTAINER).file_size < 1_000_000:
        try:
            root = ElementTree.fromstring(archive.read(_CONTAINER))
            for element in root.iter():
                if element.tag.endswith("rootfile") and element.get("full-path") in names:
                    return str(element.get("full-path"))
        except ElementTree.ParseError:
            pass  # fall back on the first score-looking member
    for name in names:
        if not name.startswith("META-INF/") and name.lower().endswith((".xml", ".musicxml")):
            return name
    raise FileFormatError("This compressed MusicXML file holds no score.")


def read_abc_tune(text: str) -> Score:
    """Parse the text of one ABC tune (see ``abc_tunes.split_abc``)."""
    prepared = prepare_abc_tune(text)  # header checked, tempo fields mended, repeats expanded per voice
    played = prepared.text
    check_abc_tune(played)  # meters, unit and note lengths, completeness, before music21 builds anything

    def parse() -> stream.Stream[Any]:
        with _without_beaming():
            return converter.parseData(played, format="abc")

    score = _bounded_read(parse, 4 + len(played) / 2000, "ABC tune")
    return apply_voice_midi(score, prepared.voices)


def read_kern(text: str) -> Score:
    return _bounded_read(lambda: converter.parseData(text, format="humdrum"), 4 + len(text) / 20_000,
                         "Humdrum score")


def musicxml_bytes(score: Score) -> bytes:
    """The score as an uncompressed MusicXML document; FileWriteError past the export caps above."""
    measures = max(score.bar_count, 1) * max(len(score.tracks), 1)
    if score.note_count > MAX_EXPORT_NOTES or measures > MAX_EXPORT_MEASURES:
        size = (f"{score.note_count:,} notes" if score.note_count > MAX_EXPORT_NOTES
                else f"{score.bar_count:,} bars in {len(score.tracks)} parts")
        raise FileWriteError(
            f"This score is too large to save as MusicXML: it has {size}; MusicAssist writes MusicXML of up to "
            f"{MAX_EXPORT_NOTES:,} notes and {MAX_EXPORT_MEASURES:,} measures (bars times parts). Save it as MIDI."
        )

    def export() -> bytes:
        # music21 writes "Music21" as the composer and "Music21 Fragment" as the title of a score that has
        # none; the export runs in a forked child, so clearing the defaults there changes nothing else.
        defaults.author = ""
        defaults.title = ""
        built = score_to_stream(score)
        # What GeneralObjectExporter.parse does, but in place: the stream is ours, so music21's defensive
        # deep copy of the whole score (a tenth of the export time) is not needed.
        built.makeRests(refStreamOrTimeRange=[0.0, built.highestTime], fillGaps=True, inPlace=True,
                        hideRests=True, timeRangeFromBarDuration=True)
        built.makeNotation(inPlace=True)
        if score.meter_map.pickup:
            _shorten_first_measures(built, score.meter_map.time_signature_at_bar(0).bar_beats - score.meter_map.pickup)
        exporter = ScoreExporter(built, makeNotation=True)
        exporter.parse()
        return _XML_ILLEGAL.sub(b"", bytes(exporter.asBytes()))

    def bounded_export() -> bytes:
        return _unlocked(export, "This score could not be written as MusicXML.")

    with _MUSIC21_LOCK:  # forked while held (see _bounded_read)
        try:
            return run_bounded(bounded_export, MAX_EXPORT_CPU_SECONDS, "")
        except FileFormatError as exc:
            if str(exc):
                raise FileWriteError(str(exc)) from exc
            raise FileWriteError(
                f"This score takes more than {MAX_EXPORT_CPU_SECONDS} s to write as MusicXML (dense chords and "
                "overlapping notes cost music21 the most), more than MusicAssist allows. Save it as MIDI."
            ) from exc


def _shorten_first_measures(built: stream.Score, pad: Fraction) -> None:
    """Make each part's first measure the pickup it is: ``score_to_stream`` wrote it as a full bar starting
    with ``pad`` beats of rest (music21 lays out full bars); the rest goes, the music moves to the start of
    a short first measure and every later measure moves back by ``pad``."""
    amount = float(pad)
    for part in built.parts:
        measures = list(part.getElementsByClass(stream.Measure))
        if not measures:
            continue
        first = measures[0]
        for container in [first, *first.voices]:
            for element in list(container.elements):
                if isinstance(element, stream.Stream):
                    continue
                offset = float(container.elementOffset(element))
                if offset >= amount:
                    container.setElementOffset(element, offset - amount)
                elif isinstance(element, note.Rest):
                    end = offset + float(element.quarterLength)
                    if end <= amount:
                        container.remove(element)
                    else:
                        element.quarterLength = end - amount
                        container.setElementOffset(element, 0.0)
            container.coreElementsChanged()
        first.paddingLeft = amount
        for number, measure in enumerate(measures):  # the pickup is bar 0 in print
            measure.number = number
            if number:
                part.setElementOffset(measure, float(part.elementOffset(measure)) - amount)
        part.coreElementsChanged()


def mxl_bytes(score: Score) -> bytes:
    """The score as compressed MusicXML: the mimetype first and stored, as the format asks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), _MXL_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr(_CONTAINER, _CONTAINER_XML, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("score.musicxml", musicxml_bytes(score), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
